/**
 * One of three backends dies during 1,500 GETs at concurrency 20: the
 * clients never see it — in-flight requests on the dead backend are retried
 * (GET is idempotent), new ones fail over until outlier detection and the
 * active checks take it out of rotation.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { runLoad, startHealthGateway } from '../helpers/health.js'

t.test('kill one of three backends mid-run: zero non-2xx responses', async (t) => {
  const backends = await startBackends(3, (req, res) => {
    req.resume()
    if (req.url === '/health') { res.end('ok'); return }
    // A little latency, so that requests are in flight on the backend when it dies.
    setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello') }, 2)
  })
  const [, victim] = backends as [typeof backends[0], typeof backends[0], typeof backends[0]]
  const gw = await startHealthGateway({
    pools: {
      p: {
        targets: backends.map((b) => b.url),
        retries: 2,
        health: { path: '/health', intervalMs: 250, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2, expectStatus: '200-399' },
        outlier: { consecutiveFailures: 3, ejectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50, on5xx: false }
      }
    }
  })
  t.teardown(async () => {
    await gw.close()
    for (const b of backends) await b.stop()
  })

  let killedAt = -1
  let killing: Promise<void> | undefined
  const outcome = await runLoad(`${gw.url}/work`, 1500, 20, 60_000, (completed) => {
    if (completed === 500 && killing === undefined) {
      killedAt = Date.now()
      killing = victim.stop()
    }
  })
  await killing
  const victimTarget = gw.app.switchyard.pools.get('p')?.targets[1]

  t.equal(outcome.completed, 1500, 'all 1,500 requests completed')
  t.same([...outcome.statuses.keys()], [200], `every response was 200 (got ${JSON.stringify([...outcome.statuses])})`)
  t.ok(killedAt > 0, 'the backend was killed mid-run')
  t.not(victimTarget?.condition, 'healthy', `the dead target is out of rotation (${String(victimTarget?.reason)})`)
  t.ok(victim.hits > 100 && victim.hits < 700, `the victim served its share before dying (${victim.hits})`)
})
