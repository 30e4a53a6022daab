/**
 * Passive health, transport side: refused connections count as failures
 * (the requests themselves are retried on another target), and each new
 * ejection of the same target lasts `ejectionMs` × times ejected.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startHealthGateway, waitFor } from '../helpers/health.js'

t.test('connection failures count too, and a second ejection lasts twice as long', async (t) => {
  const good = await startBackend('good')
  const dead = await startBackend('dead')
  await dead.stop()
  const gw = await startHealthGateway({
    pools: {
      p: {
        targets: [good.url, dead.url],
        retries: 1,
        outlier: { consecutiveFailures: 2, ejectionMs: 300, maxEjectionMs: 10_000, maxEjectionPercent: 50, on5xx: false }
      }
    }
  })
  t.teardown(async () => { await gw.close(); await good.stop() })
  const target = gw.app.switchyard.pools.get('p')?.targets[1]
  if (target === undefined) throw new Error('no target')
  const get = async (): Promise<number> => { const res = await fetch(`${gw.url}/x`); await res.arrayBuffer(); return res.status }

  for (let i = 0; i < 4; i++) t.equal(await get(), 200, 'refused connections are retried on the good target')
  t.equal(target.condition, 'ejected', 'ejected after 2 refused connections')
  t.match(target.reason, /ejected for 300 ms: 2 consecutive failures, last ECONNREFUSED/)
  t.ok(await waitFor(() => target.condition !== 'ejected', 2000) >= 0, 'returned after 300 ms')
  for (let i = 0; i < 4; i++) t.equal(await get(), 200)
  t.equal(target.condition, 'ejected', 'ejected again')
  t.match(target.reason, /ejected for 600 ms/, 'the second ejection is twice as long')
})
