/**
 * Outlier detection never ejects more than `maxEjectionPercent` of a pool:
 * with three of four backends failing and 50%, two are ejected and the third
 * keeps its share of traffic (better a failing target than no capacity).
 */
import t from 'tap'
import { startBackend, type TestBackend } from '../helpers/backend.js'
import { startHealthGateway } from '../helpers/health.js'

t.test('3 of 4 failing, maxEjectionPercent 50 → exactly 2 ejected', async (t) => {
  const failing = (req: Parameters<Parameters<typeof startBackend>[1] & object>[0], res: Parameters<Parameters<typeof startBackend>[1] & object>[1]): void => {
    req.resume()
    res.writeHead(503)
    res.end()
  }
  const backends: TestBackend[] = [await startBackend('ok')]
  for (let i = 1; i <= 3; i++) backends.push(await startBackend(`bad${i}`, failing))
  const gw = await startHealthGateway({
    pools: {
      p: {
        targets: backends.map((b) => b.url),
        outlier: { consecutiveFailures: 2, ejectionMs: 60_000, maxEjectionMs: 60_000, maxEjectionPercent: 50, on5xx: true }
      }
    }
  })
  t.teardown(async () => {
    await gw.close()
    for (const b of backends) await b.stop()
  })
  const targets = gw.app.switchyard.pools.get('p')?.targets ?? []

  for (let i = 0; i < 40; i++) {
    const res = await fetch(`${gw.url}/x`)
    await res.arrayBuffer()
  }
  const ejected = targets.filter((target) => target.condition === 'ejected')
  t.equal(ejected.length, 2, 'two of four targets ejected (50%)')
  t.equal(targets[0]?.condition, 'healthy', 'the good target is never ejected')
  const kept = backends.slice(1).filter((_b, i) => targets[i + 1]?.condition !== 'ejected')
  t.equal(kept.length, 1, 'one failing target stays in rotation')
  const before = kept[0]?.hits ?? 0
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${gw.url}/x`)
    await res.arrayBuffer()
  }
  t.equal((kept[0]?.hits ?? 0) - before, 5, 'and keeps its share of the traffic (half of two targets)')
  t.ok(targets.slice(1).every((target) => target.consecutiveFailures >= 2), 'all failing targets are over the threshold')
})
