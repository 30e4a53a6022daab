/**
 * SIGHUP re-reads GATEWAY_CONFIG: a target removed from the file gets no new
 * requests and finishes its in-flight ones; an added target takes traffic;
 * a broken file is refused and the running config kept.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/gateway.js'
import { spawnApp } from './spawn.js'

t.test('SIGHUP applies the new target list without dropping in-flight requests', async (t) => {
  let releaseSlow: () => void = () => {}
  const slowStarted = new Promise<void>((resolve) => {
    releaseSlow = resolve
  })
  const gate: { open?: () => void } = {}
  const a = await startBackend('a')
  const b = await startBackend('b', (req, res) => {
    req.resume()
    if (req.url === '/slow') {
      releaseSlow()
      gate.open = () => res.end(JSON.stringify({ backend: 'b', slow: true }))
      return
    }
    res.end(JSON.stringify({ backend: 'b' }))
  })
  const c = await startBackend('c')
  const pools = (targets: string[]): unknown => ({ pools: { app: { targets, balancer: 'round-robin' } }, routes: [{ path: '/', pool: 'app' }] })
  const path = writeConfigFile(pools([a.url, b.url]))
  const app = spawnApp({ PORT: '0', HOST: '127.0.0.1', GATEWAY_ADMIN_PORT: '0', GATEWAY_CONFIG: path })
  t.teardown(async () => { app.child.kill('SIGKILL'); for (const x of [a, b, c]) await x.stop() })
  const listening = await app.waitForLog(/Server listening at http:\/\/127\.0\.0\.1:\d+$/, 15_000, (entry) => entry.listener === undefined)
  const port = /:(\d+)$/.exec(String(listening.msg))?.[1]
  const url = `http://127.0.0.1:${String(port)}`

  const backendOf = async (p: string): Promise<string> => ((await (await fetch(url + p)).json()) as { backend: string }).backend
  t.same(new Set([await backendOf('/x'), await backendOf('/x')]), new Set(['a', 'b']), 'both targets serve before the reload')

  // a request in flight on b, which is about to be removed
  const inFlight = (async () => { for (;;) { const res = await fetch(`${url}/slow`); const body = await res.json() as { backend: string }; if (body.backend === 'b') return { status: res.status, body } } })()
  await slowStarted

  writeFileSync(path, JSON.stringify(pools([a.url, c.url])))
  app.child.kill('SIGHUP')
  await app.waitForLog(/config reloaded: version 2/)

  const after = new Set<string>()
  for (let i = 0; i < 6; i++) after.add(await backendOf('/x'))
  t.same([...after].sort(), ['a', 'c'], 'new requests go to a and the added c only')
  t.equal(b.hitsByPath.get('/x'), 1, 'the removed target got no new request')

  gate.open?.()
  const finished = await inFlight
  t.equal(finished.status, 200, 'the in-flight request on the removed target completed')
  t.equal(app.child.exitCode, null, 'the gateway kept running')

  writeFileSync(path, '{ "pools": ')
  app.child.kill('SIGHUP')
  const refused = await app.waitForLog(/config reload refused/)
  t.match(String(refused.msg), /GATEWAY_CONFIG/, 'the refusal names the config')
  t.equal(await backendOf('/x') !== '', true, 'still serving with the running config')
})
