/**
 * When a dead worker is replaced: at once after a worker that ran a while,
 * with a doubling, capped delay while workers keep dying soon after start.
 */
import t from 'tap'
import { RestartPolicy } from '../../cluster/restart-policy.js'

t.test('back-off doubles on quick deaths, is capped, and resets after a stable run', async (t) => {
  const policy = new RestartPolicy({ stableUptimeMs: 5000, firstDelayMs: 100, maxDelayMs: 1000 })
  t.equal(policy.delayAfterDeath(60_000), 0, 'a worker that ran a minute is replaced at once')
  t.same([1, 2, 3, 4, 5, 6].map(() => policy.delayAfterDeath(200)), [100, 200, 400, 800, 1000, 1000], 'quick deaths: 100 ms doubling, capped at 1 s')
  t.equal(policy.delayAfterDeath(5000), 0, 'a stable run resets the back-off')
  t.equal(policy.delayAfterDeath(10), 100, 'and the next quick death starts again at the first delay')
})

t.test('defaults: replaced at once after 10 s, back-off up to 30 s', async (t) => {
  const policy = new RestartPolicy()
  t.equal(policy.delayAfterDeath(10_000), 0)
  let delay = 0
  for (let i = 0; i < 20; i++) delay = policy.delayAfterDeath(0)
  t.equal(delay, 30_000)
})
