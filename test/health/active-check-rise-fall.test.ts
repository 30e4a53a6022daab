/**
 * Active checks: a backend whose `/health` starts answering 500 leaves
 * rotation within (unhealthyThreshold+1)×interval, and comes back within
 * (healthyThreshold+1)×interval of answering 200 again.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { sleep, startHealthGateway, waitFor } from '../helpers/health.js'

const INTERVAL_MS = 400
const UNHEALTHY = 2
const HEALTHY = 3

t.test('/health 500 → out within (u+1)×interval; 200 again → back within (h+1)×interval', async (t) => {
  let sick = false
  const backends = await startBackends(2, (req, res, backend) => {
    req.resume()
    if (req.url === '/health') {
      res.writeHead(sick && backend.name === 'b2' ? 500 : 200)
      res.end()
      return
    }
    res.end(backend.name)
  })
  const [b1, b2] = backends as [typeof backends[0], typeof backends[0]]
  const gw = await startHealthGateway({
    pools: {
      p: {
        targets: [b1.url, b2.url],
        health: { path: '/health', intervalMs: INTERVAL_MS, timeoutMs: 300, healthyThreshold: HEALTHY, unhealthyThreshold: UNHEALTHY, expectStatus: '200-299' }
      }
    }
  })
  t.teardown(async () => {
    await gw.close()
    await b1.stop()
    await b2.stop()
  })
  const target = gw.app.switchyard.pools.get('p')?.targets[1]
  if (target === undefined) throw new Error('no target')

  // Let a few checks pass first.
  await sleep(INTERVAL_MS * 2)
  t.equal(target.healthy, true, 'healthy while /health answers 200')

  sick = true
  const outMs = await waitFor(() => !target.healthy, (UNHEALTHY + 1) * INTERVAL_MS)
  t.ok(outMs >= 0, `left rotation in ${outMs} ms (bound ${(UNHEALTHY + 1) * INTERVAL_MS} ms)`)
  t.match(target.reason, /health check failed 2 times: status 500/, 'the reason names the failed check')

  // Out of rotation: traffic goes to b1 only.
  const before = b2.hitsByPath.get('/x') ?? 0
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${gw.url}/x`)
    t.equal(await res.text(), 'b1', `request ${i} served by the healthy backend`)
  }
  t.equal(b2.hitsByPath.get('/x') ?? 0, before, 'the sick backend got no traffic')

  sick = false
  const backMs = await waitFor(() => target.healthy, (HEALTHY + 1) * INTERVAL_MS)
  t.ok(backMs >= 0, `back in rotation in ${backMs} ms (bound ${(HEALTHY + 1) * INTERVAL_MS} ms)`)
  t.ok(backMs >= (HEALTHY - 1) * INTERVAL_MS * 0.9 - 50, `not before ${HEALTHY} good checks (${backMs} ms)`)
  const served = new Set<string>()
  for (let i = 0; i < 6; i++) served.add(await (await fetch(`${gw.url}/x`)).text())
  t.same([...served].sort(), ['b1', 'b2'], 'both backends serve again')
})
