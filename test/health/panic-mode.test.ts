/**
 * `panic: true`: when no target is healthy, the pool spreads requests over
 * all of its (non-draining) targets instead of answering 503 — useful when
 * the health check is wrong and the backends still serve. Without it: 503.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { startHealthGateway, waitFor } from '../helpers/health.js'

for (const panic of [true, false]) {
  t.test(`all targets failing their health check, panic ${String(panic)}`, async (t) => {
    const backends = await startBackends(2, (req, res, backend) => {
      req.resume()
      if (req.url === '/health') { res.writeHead(500); res.end(); return }
      res.end(backend.name)
    })
    const gw = await startHealthGateway({
      pools: {
        p: {
          targets: backends.map((b) => b.url),
          panic,
          health: { path: '/health', intervalMs: 100, timeoutMs: 100, healthyThreshold: 1, unhealthyThreshold: 1, expectStatus: '200' }
        }
      }
    })
    t.teardown(async () => {
      await gw.close()
      for (const b of backends) await b.stop()
    })
    const targets = gw.app.switchyard.pools.get('p')?.targets ?? []
    t.ok(await waitFor(() => targets.every((target) => !target.healthy), 3000) >= 0, 'every target unhealthy')

    const seen: string[] = []
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${gw.url}/x`)
      seen.push(res.status === 200 ? await res.text() : String(res.status))
    }
    if (panic) t.same([...new Set(seen)].sort(), ['b1', 'b2'], 'panic: requests spread over all targets')
    else t.same(seen, Array(6).fill('503'), 'no panic: 503')
  })
}
