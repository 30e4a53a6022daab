/**
 * A backend that resets the connection after reading a POST body: the body
 * may have been acted on, so the POST is never replayed on another target;
 * the backends saw it exactly once and the client gets 502.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startHealthGateway } from '../helpers/health.js'

t.test('reset after the POST body was read → 502, seen exactly once', async (t) => {
  let postsSeen = 0
  const resetting = (name: string): ReturnType<typeof startBackend> => startBackend(name, (req) => {
    req.on('data', () => {})
    req.on('end', () => { postsSeen++; req.socket.destroy() })
  })
  const backends = [await resetting('r1'), await resetting('r2'), await resetting('r3')]
  const gw = await startHealthGateway({
    pools: {
      p: {
        targets: backends.map((b) => b.url),
        retries: 2,
        outlier: { consecutiveFailures: 5, ejectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50, on5xx: false }
      }
    }
  })
  t.teardown(async () => {
    await gw.close()
    for (const b of backends) await b.stop()
  })

  const res = await fetch(`${gw.url}/orders`, { method: 'POST', body: JSON.stringify({ item: 'one' }), headers: { 'content-type': 'application/json' } })
  const body = await res.json() as { code: string }
  t.equal(res.status, 502, 'the client got 502')
  t.equal(body.code, 'SWITCHYARD_BAD_GATEWAY')
  t.equal(postsSeen, 1, 'the POST body reached a backend exactly once')
  t.equal(backends.reduce((n, b) => n + b.hits, 0), 1, 'no other backend was sent the POST')
})
