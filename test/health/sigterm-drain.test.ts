/**
 * Shutdown: SIGTERM to the bundled app (a real child process) while 20 slow
 * requests are in flight → it stops accepting connections at once, lets all
 * 20 finish, stops its health checks and exits with code 0.
 */
import t from 'tap'
import { connect } from 'node:net'
import { Agent, request } from 'undici'
import { startBackend } from '../helpers/backend.js'
import { spawnApp } from '../app/spawn.js'
import { waitFor } from '../helpers/health.js'

const SLOW_MS = 1500
const IN_FLIGHT = 20

async function connectOutcome (port: number): Promise<string> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve('connected') })
    socket.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? 'error') })
  })
}

t.test('SIGTERM during 20 slow requests: all complete, new connections refused, exit 0', async (t) => {
  const slow = await startBackend('slow', (req, res) => {
    req.resume()
    if (req.url === '/health') { res.end('ok'); return }
    setTimeout(() => { res.end('done') }, SLOW_MS)
  })
  const app = spawnApp({
    HOST: '127.0.0.1',
    PORT: '0',
    GATEWAY_ADMIN_PORT: '0',
    GATEWAY_UPSTREAMS: slow.url,
    GATEWAY_HEALTH_PATH: '/health',
    GATEWAY_HEALTH_INTERVAL_MS: '100',
    LOG_LEVEL: 'info'
  })
  const agent = new Agent({ connections: IN_FLIGHT + 5 })
  t.teardown(async () => {
    if (app.child.exitCode === null) app.child.kill('SIGKILL')
    await agent.close()
    await slow.stop()
  })

  // The gateway's own listener (the admin listener logs with `listener: "admin"`).
  let port = 0
  await waitFor(() => {
    for (const line of app.stdout().split('\n')) {
      if (!line.startsWith('{')) continue
      const entry = JSON.parse(line) as { msg?: string, listener?: string }
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(entry.msg ?? '')
      if (match !== null && entry.listener === undefined) port = Number(match[1])
    }
    return port !== 0 || app.child.exitCode !== null
  }, 20_000, 50)
  t.ok(port > 0, `the app listens on ${port}`)
  t.ok(await waitFor(() => (slow.hitsByPath.get('/health') ?? 0) > 0, 5000) >= 0, 'health checks are running')

  const responses = Array.from({ length: IN_FLIGHT }, async (_v, i) => {
    const res = await request(`http://127.0.0.1:${port}/work/${i}`, { dispatcher: agent })
    return { status: res.statusCode, body: await res.body.text() }
  })
  t.ok(await waitFor(() => slow.hits - (slow.hitsByPath.get('/health') ?? 0) >= IN_FLIGHT, 10_000) >= 0, 'all 20 requests reached the backend')

  app.child.kill('SIGTERM')
  const sentAt = Date.now()
  // New connections are refused as soon as the listener closes (well before the slow requests end).
  const refusedAfter = await (async () => {
    while (Date.now() - sentAt < SLOW_MS) {
      if (await connectOutcome(port) === 'ECONNREFUSED') return Date.now() - sentAt
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return -1
  })()
  t.ok(refusedAfter >= 0, `new connections refused ${refusedAfter} ms after SIGTERM, while requests were still in flight`)

  const results = await Promise.all(responses)
  t.same(results.map((r) => r.status), Array(IN_FLIGHT).fill(200), 'all 20 in-flight requests completed with 200')
  t.same(results.map((r) => r.body), Array(IN_FLIGHT).fill('done'), 'with their full bodies')

  const code = await Promise.race([app.exited, new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 15_000))])
  t.equal(code, 0, 'the app exited with code 0')
  t.ok(Date.now() - sentAt < 10_000, 'within the shutdown grace period')
  t.match(app.stdout(), /stopping: finishing in-flight requests/, 'the shutdown is logged')
  t.match(app.stdout(), /"msg":"health checks stopped"/, 'the health checks were stopped on close')
})
