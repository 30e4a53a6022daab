/**
 * The access log: one JSON line per request at `info`, with the fields an
 * operator greps for, and never a backend address.
 */
import t from 'tap'
import { createServer } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { spawnApp } from './spawn.js'

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('one access line per request with client, method, path, status, bytes, ms, target, upstream time, retries', async (t) => {
  const backend = await startBackend('b', (req, res) => { req.resume(); res.writeHead(201, { 'content-type': 'text/plain' }); res.end('hello') })
  const port = await freePort()
  const app = spawnApp({ PORT: String(port), HOST: '127.0.0.1', GATEWAY_UPSTREAMS: backend.url, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'info' })
  t.teardown(async () => { app.child.kill('SIGKILL'); await app.exited; await backend.stop() })
  await app.waitForLog(/listening/)
  const res = await fetch(`http://127.0.0.1:${port}/orders/7?x=1`)
  t.equal(await res.text(), 'hello')
  const line = await app.waitForLog(/^access$/, 10_000, (entry) => entry.path === '/orders/7?x=1')
  t.equal(line.level, 30, 'at info')
  t.equal(line.client, '127.0.0.1')
  t.equal(line.method, 'GET')
  t.equal(line.status, 201)
  t.equal(line.bytes, 5, 'body bytes')
  t.type(line.ms, 'number')
  t.equal(line.pool, 'default')
  t.type(line.target, 'string')
  t.type(line.upstreamMs, 'number')
  t.ok((line.upstreamMs as number) >= 0, 'upstream time measured')
  t.equal(line.retries, 0)
  t.type(line.time, 'number', 'pino time')
  t.notMatch(JSON.stringify(line), String(backend.port), 'no backend address in the line')
})
