/**
 * A backend that never answers: the client gets 504 close to
 * `responseTimeoutMs` (time to response headers; undici's timer ticks make
 * it up to ~1 s late), the request is not
 * retried elsewhere, and the upstream socket is closed.
 */
import t from 'tap'
import type { ServerResponse } from 'node:http'
import { startBackend } from '../helpers/backend.js'
import { startHealthGateway } from '../helpers/health.js'

const RESPONSE_TIMEOUT_MS = 600

t.test('silent backend → 504 near responseTimeoutMs, upstream socket closed', async (t) => {
  const held: ServerResponse[] = []
  const silent = await startBackend('silent', (req, res) => { req.resume(); held.push(res) })
  const other = await startBackend('other')
  const gw = await startHealthGateway({
    pools: { p: { targets: [silent.url, other.url], retries: 2, responseTimeoutMs: RESPONSE_TIMEOUT_MS } }
  })
  t.teardown(async () => {
    await gw.close()
    await silent.stop()
    await other.stop()
  })
  const connections = async (): Promise<number> => await new Promise((resolve) => {
    silent.server.getConnections((_err, count) => resolve(count))
  })

  // Round robin: the first request goes to the silent backend.
  const started = performance.now()
  const res = await fetch(`${gw.url}/slow`)
  const body = await res.json() as { code: string }
  const ms = performance.now() - started
  t.equal(res.status, 504, '504 Gateway Timeout')
  t.equal(body.code, 'SWITCHYARD_GATEWAY_TIMEOUT')
  // undici runs its headers timeout on a coarse clock (ticks of ~0.5 s): up to ~1 s late, never early.
  t.ok(ms >= RESPONSE_TIMEOUT_MS - 20 && ms < RESPONSE_TIMEOUT_MS + 1200, `answered after ${ms.toFixed(0)} ms (timeout ${RESPONSE_TIMEOUT_MS} ms)`)
  t.equal(silent.hits, 1, 'the silent backend saw the request once')
  t.equal(other.hitsByPath.get('/slow') ?? 0, 0, 'a timed-out request is not replayed elsewhere')

  let closed = false
  // Poll the server's connection count (async) until the gateway's socket is gone.
  const deadline = Date.now() + 2000
  while (Date.now() < deadline && !closed) {
    closed = (await connections()) === 0
    if (!closed) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(closed, 'the gateway closed its connection to the silent backend')
  t.ok(held[0]?.socket === null || held[0]?.socket?.destroyed === true, 'the backend sees its socket destroyed')
})
