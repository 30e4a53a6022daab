/**
 * All backends down: once the active checks have taken every target out of
 * rotation, a request is answered 503 with `Retry-After` at once (< 100 ms),
 * never a hang, and no backend is tried.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { startHealthGateway, waitFor } from '../helpers/health.js'

t.test('every target unhealthy → 503 + Retry-After in under 100 ms', async (t) => {
  const backends = await startBackends(2)
  const gw = await startHealthGateway({
    pools: {
      p: {
        targets: backends.map((b) => b.url),
        health: { path: '/health', intervalMs: 200, timeoutMs: 150, healthyThreshold: 2, unhealthyThreshold: 2, expectStatus: '200-399' }
      }
    }
  })
  t.teardown(async () => { await gw.close() })
  for (const b of backends) await b.stop()
  const targets = gw.app.switchyard.pools.get('p')?.targets ?? []
  t.ok(await waitFor(() => targets.every((target) => !target.healthy), 5000) >= 0, 'both targets marked unhealthy')

  // Warm the client up (its first fetch loads and connects); the gateway is measured after.
  await (await fetch(`${gw.url}/warm-up`)).text()
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    const res = await fetch(`${gw.url}/anything`)
    const body = await res.json() as { code: string }
    const ms = performance.now() - started
    t.equal(res.status, 503, `request ${i}: 503`)
    t.equal(res.headers.get('retry-after'), '1', `request ${i}: Retry-After`)
    t.equal(body.code, 'SWITCHYARD_NO_TARGET', `request ${i}: our error body`)
    t.ok(ms < 1000, `request ${i} answered in ${ms.toFixed(1)} ms: no hang`)
    times.push(ms)
  }
  // The median, so that one scheduling hiccup of a loaded CI machine doesn't decide it.
  const median = [...times].sort((a, b) => a - b)[2] as number
  t.ok(median < 100, `median answer time ${median.toFixed(1)} ms (< 100 ms)`)
  t.equal(backends.reduce((n, b) => n + (b.hitsByPath.get('/anything') ?? 0), 0), 0, 'no backend was tried')
})
