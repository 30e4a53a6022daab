/**
 * Regression (issue 10, item 15): the admin `/health` said ok during a
 * SIGTERM drain, and an outer balancer had no health path on the serving
 * port. Now admin `/health` answers 503 while the gateway drains, and
 * `GATEWAY_HEALTH_ROUTE` is answered by the gateway itself on the main
 * listener: 200 `{"status":"ok"}`, 503 while draining.
 */
import t from 'tap'
import { connect } from 'node:net'
import { loadConfig } from '../../config/index.js'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/gateway.js'
import { spawnApp } from '../app/spawn.js'
import { waitFor } from '../helpers/health.js'

const SLOW_MS = 3000

/** One connection: a first (slow) request now, a second one on it when `sendSecond` is called. */
function onOneConnection (port: number, first: string, second: string): { responses: Promise<string>, sent: Promise<void>, sendSecond: () => void } {
  const socket = connect(port, '127.0.0.1')
  let data = ''
  const sent = new Promise<void>((resolve) => socket.once('connect', () => {
    socket.write(`GET ${first} HTTP/1.1\r\nHost: gw\r\n\r\n`)
    resolve()
  }))
  const responses = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => { data += chunk.toString() })
    socket.on('close', () => resolve(data))
    socket.on('error', () => resolve(data))
    setTimeout(() => { socket.destroy() }, SLOW_MS + 8000).unref()
  })
  return { responses, sent, sendSecond: () => { socket.write(`GET ${second} HTTP/1.1\r\nHost: gw\r\n\r\n`) } }
}

t.test('SIGTERM: admin /health and GATEWAY_HEALTH_ROUTE answer 503 while in-flight requests finish', async (t) => {
  const backend = await startBackend('slow', (req, res) => {
    req.resume()
    setTimeout(() => { res.end('done') }, req.url === '/slow' ? SLOW_MS : 0)
  })
  const app = spawnApp({ HOST: '127.0.0.1', PORT: '0', GATEWAY_ADMIN_PORT: '0', GATEWAY_UPSTREAMS: backend.url, GATEWAY_HEALTH_ROUTE: '/healthz', LOG_LEVEL: 'info' })
  t.teardown(async () => {
    if (app.child.exitCode === null) app.child.kill('SIGKILL')
    await backend.stop()
  })
  let port = 0
  let adminPort = 0
  await waitFor(() => {
    for (const line of app.stdout().split('\n')) {
      if (!line.startsWith('{')) continue
      const entry = JSON.parse(line) as { msg?: string, listener?: string }
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(entry.msg ?? '')
      if (match === null) continue
      if (entry.listener === 'admin') adminPort = Number(match[1])
      else port = Number(match[1])
    }
    return (port !== 0 && adminPort !== 0) || app.child.exitCode !== null
  }, 20_000, 50)
  t.ok(port > 0 && adminPort > 0, 'both listeners are up')

  const healthz = await fetch(`http://127.0.0.1:${port}/healthz`)
  t.equal(healthz.status, 200, 'the main listener answers its health route')
  t.same(await healthz.json(), { status: 'ok' })
  t.equal(backend.hits, 0, 'answered by the gateway itself, not forwarded')
  const admin = await fetch(`http://127.0.0.1:${adminPort}/health`)
  t.equal(admin.status, 200)
  await admin.text()

  const slow = onOneConnection(port, '/slow', '/healthz')
  await slow.sent
  t.ok(await waitFor(() => backend.hits >= 1, 5000) >= 0, 'a slow request is in flight')
  app.child.kill('SIGTERM')
  t.ok(await waitFor(() => app.stdout().includes('stopping'), 5000) >= 0, 'the gateway is draining')
  const during = await fetch(`http://127.0.0.1:${adminPort}/health`)
  t.equal(during.status, 503, 'admin /health: 503 while draining')
  t.match(await during.json(), { status: 'draining' })
  slow.sendSecond()

  const raw = await slow.responses
  const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))
  t.same(statuses, [200, 503], 'the in-flight request finished (200); the health route behind it: 503')
  t.equal(await app.exited, 0, 'then the process exits cleanly')
})

t.test('GATEWAY_HEALTH_ROUTE must be a literal path, and not a route of the config', async (t) => {
  t.throws(() => loadConfig({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:3001', GATEWAY_HEALTH_ROUTE: 'healthz' }), { message: /^GATEWAY_HEALTH_ROUTE must be a literal path/ })
  t.throws(() => loadConfig({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:3001', GATEWAY_HEALTH_ROUTE: '/health/:id' }), { message: /^GATEWAY_HEALTH_ROUTE must be a literal path/ })
  const config = writeConfigFile({ pools: { p: { targets: ['http://127.0.0.1:3001'] } }, routes: [{ path: '/api', pool: 'p' }, { path: '/healthz', pool: 'p' }] })
  t.throws(() => loadConfig({ GATEWAY_CONFIG: config, GATEWAY_HEALTH_ROUTE: '/healthz' }), { message: 'GATEWAY_HEALTH_ROUTE "/healthz" is also the path of GATEWAY_CONFIG.routes.1' })
})
