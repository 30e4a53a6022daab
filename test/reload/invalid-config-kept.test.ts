/**
 * An invalid new config changes nothing: from the file (POST /config/reload)
 * and from a body (PUT /config) the answer is 400 with the error naming the
 * field, the running config keeps serving, /status keeps its version, and
 * /metrics counts the refusal. GET /config shows the running config with its
 * secrets redacted.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { adminAddress } from '../../plugins/admin/index.js'

const TOKEN = 'reload-token-1'
const auth = { authorization: `Bearer ${TOKEN}` }

t.test('invalid file and invalid body: 400 naming the field, old config serving', async (t) => {
  const a = await startBackend('a')
  const good = { pools: { app: { targets: [a.url] } }, routes: [{ path: '/', pool: 'app' }] }
  const path = writeConfigFile(good)
  const gw = await startAppGateway({
    GATEWAY_CONFIG: path,
    GATEWAY_ADMIN_TOKEN: TOKEN,
    GATEWAY_STICKY_SECRET: 'a-sticky-secret-of-32-bytes-long!',
    GATEWAY_REDIS_URL: 'redis://ops:hunter2@127.0.0.1:6390/0'
  })
  t.teardown(async () => { await gw.close(); await a.stop() })
  const admin = adminAddress(gw.app)
  const backendOf = async (): Promise<string> => ((await (await fetch(`${gw.url}/x`)).json()) as { backend: string }).backend

  writeFileSync(path, JSON.stringify({ ...good, routes: [{ path: '/', pool: 'missing' }] }))
  const fromFile = await fetch(`${admin}/config/reload`, { method: 'POST', headers: auth })
  t.equal(fromFile.status, 400)
  t.match(await fromFile.json(), { field: 'GATEWAY_CONFIG.routes.0.pool', message: 'GATEWAY_CONFIG.routes.0.pool "missing" is not a declared pool' })
  t.equal(await backendOf(), 'a', 'still serving')

  writeFileSync(path, '{ "pools": ')
  const broken = await fetch(`${admin}/config/reload`, { method: 'POST', headers: auth })
  t.equal(broken.status, 400)
  t.match(await broken.json(), { field: 'GATEWAY_CONFIG', message: /is not valid JSON/ })

  const cases: Array<[unknown, string, RegExp]> = [
    [{ ...good, pools: { app: { targets: [a.url], balancer: 'fastest' } } }, 'config.pools.app.balancer', /must be one of: round-robin/],
    [{ ...good, routes: [{ path: '/', pool: 'app' }, { path: '/', pool: 'app' }] }, 'config.routes.1.path', /declared twice/],
    [{ pools: { app: { targets: ['ftp://x'] } }, routes: [] }, 'config.pools.app.targets.0', /http:\/\/ or https:\/\/ origin/],
    [{ ...good, extra: true }, 'config.extra', /is not a known option/]
  ]
  for (const [body, field, message] of cases) {
    const res = await fetch(`${admin}/config`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    t.equal(res.status, 400, `${field}: 400`)
    const answer = await res.json() as { field: string, message: string }
    t.equal(answer.field, field, `names ${field}`)
    t.match(answer.message, message)
  }
  t.equal(await backendOf(), 'a', 'still serving the old config')
  t.equal(gw.app.switchyard.pools.get('app')?.targets.length, 1, 'the pool is as it was')

  const status = await (await fetch(`${admin}/status`, { headers: auth })).json() as { configVersion: number }
  t.equal(status.configVersion, 1, 'no new version')
  const metrics = await (await fetch(`${admin}/metrics`, { headers: auth })).text()
  t.match(metrics, /switchyard_config_reloads_total\{result="refused"\} 6/, 'six refusals counted')
  t.match(metrics, /switchyard_config_reloads_total\{result="applied"\} 0/)

  const running = await fetch(`${admin}/config`, { headers: auth })
  t.equal(running.status, 200)
  const text = await running.text()
  for (const secret of [TOKEN, 'a-sticky-secret-of-32-bytes-long!', 'hunter2']) t.notOk(text.includes(secret), 'a secret is not shown')
  const shown = JSON.parse(text) as { configVersion: number, config: unknown, env: Record<string, unknown> }
  t.match(shown.config, good, 'the running config (with its defaults filled in)')
  t.match(shown.env, { adminToken: '[redacted]', stickySecret: '[redacted]', redisUrl: 'redis://ops:[redacted]@127.0.0.1:6390/0' })

  // A valid body applies: the answer is the new version.
  const ok = await fetch(`${admin}/config`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(good) })
  t.equal(ok.status, 200)
  t.match(await ok.json(), { configVersion: 2, source: 'PUT /config' })
  t.equal((await fetch(`${admin}/config/reload`, { method: 'POST' })).status, 401, 'the reload needs the token')
})
