/**
 * Regression (issue 10, item 12): with PORT taken the process logged
 * EADDRINUSE and kept running (its admin listener said ok). Any listener
 * that cannot listen — main, admin, HTTP→HTTPS redirect — now makes the
 * process close what had started and exit 1.
 */
import t from 'tap'
import { createServer, type Server } from 'node:net'
import { spawnApp } from '../app/spawn.js'
import { startBackend } from '../helpers/backend.js'
import { makeCertificate } from '../helpers/tls.js'

async function takePort (): Promise<{ server: Server, port: number }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 }
}

/** Exit code within `ms`, or 'running'. */
async function exitWithin (exited: Promise<number | null>, ms: number): Promise<number | null | 'running'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'running'>((resolve) => { timer = setTimeout(() => resolve('running'), ms) })
  const result = await Promise.race([exited, timeout])
  clearTimeout(timer)
  return result
}

t.test('a listener on a taken port makes the process exit 1', async (t) => {
  const backend = await startBackend('b')
  const taken = await takePort()
  const certificate = makeCertificate()
  t.teardown(async () => {
    certificate.remove()
    await new Promise((resolve) => taken.server.close(resolve))
    await backend.stop()
  })
  const base = { GATEWAY_UPSTREAMS: backend.url, HOST: '127.0.0.1', PORT: '0', GATEWAY_ADMIN_PORT: '0', GATEWAY_HEALTH_PATH: '/', GATEWAY_HEALTH_INTERVAL_MS: '100' }
  const cases: Array<[string, Record<string, string>]> = [
    ['main listener (PORT)', { PORT: String(taken.port) }],
    ['admin listener (GATEWAY_ADMIN_PORT)', { GATEWAY_ADMIN_PORT: String(taken.port) }],
    ['redirect listener (GATEWAY_HTTP_REDIRECT_PORT)', { GATEWAY_TLS_CERT: certificate.certPath, GATEWAY_TLS_KEY: certificate.keyPath, GATEWAY_HTTP_REDIRECT_PORT: String(taken.port) }]
  ]
  for (const [name, env] of cases) {
    const app = spawnApp({ ...base, ...env })
    const code = await exitWithin(app.exited, 15_000)
    if (code === 'running') app.child.kill('SIGKILL')
    t.equal(code, 1, `${name} taken: exit 1`)
    t.match(app.stderr(), /failed to start: .*EADDRINUSE/, `${name}: one line saying why`)
  }
})
