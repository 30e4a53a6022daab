/**
 * Passive health: a target that fails `consecutiveFailures` requests in a row
 * (here 5xx answers, with `outlier.on5xx`) is ejected — the backend sees no
 * request after the N-th — and is back in rotation after `ejectionMs`.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startHealthGateway, waitFor } from '../helpers/health.js'

const FAILURES = 3
const EJECTION_MS = 800

t.test('ejected after N consecutive failures, back after the ejection time', async (t) => {
  let failing = true
  const good = await startBackend('good')
  const flaky = await startBackend('flaky', (req, res) => {
    req.resume()
    res.writeHead(failing ? 500 : 200)
    res.end('flaky')
  })
  const gw = await startHealthGateway({
    pools: {
      p: {
        targets: [good.url, flaky.url],
        outlier: { consecutiveFailures: FAILURES, ejectionMs: EJECTION_MS, maxEjectionMs: 10_000, maxEjectionPercent: 50, on5xx: true }
      }
    }
  })
  t.teardown(async () => {
    await gw.close()
    await good.stop()
    await flaky.stop()
  })
  const target = gw.app.switchyard.pools.get('p')?.targets[1]
  if (target === undefined) throw new Error('no target')
  const get = async (): Promise<number> => {
    const res = await fetch(`${gw.url}/x`)
    await res.arrayBuffer()
    return res.status
  }

  // Round robin alternates: every second request reaches the flaky backend until it is ejected.
  for (let i = 0; i < 2 * FAILURES; i++) await get()
  t.equal(flaky.hits, FAILURES, `the flaky backend saw ${FAILURES} requests`)
  t.equal(target.condition, 'ejected', 'ejected after the N-th failure')
  t.match(target.reason, /ejected for 800 ms: 3 consecutive failures, last status 500/)
  const ejectedAt = Date.now()

  const statuses: number[] = []
  for (let i = 0; i < 10; i++) statuses.push(await get())
  t.same(statuses, Array(10).fill(200), 'while ejected, every request goes to the good backend')
  t.equal(flaky.hits, FAILURES, 'the ejected backend saw nothing more')

  failing = false
  const waited = await waitFor(() => target.condition === 'healthy', EJECTION_MS + 1000)
  const back = Date.now() - ejectedAt
  t.ok(waited >= 0 && back >= EJECTION_MS - 50, `back in rotation ${back} ms after the ejection (ejectionMs ${EJECTION_MS})`)
  for (let i = 0; i < 4; i++) t.equal(await get(), 200)
  t.ok(flaky.hits >= FAILURES + 2, `the returned backend serves again (${flaky.hits - FAILURES} new requests)`)
  t.equal(target.consecutiveFailures, 0, 'its failure streak starts afresh')
})
