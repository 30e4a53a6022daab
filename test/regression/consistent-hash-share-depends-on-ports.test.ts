/**
 * Regression (flaky `distribution` test): with 100 ring points per target,
 * the share of keys a target owns depended on its address (its id is a hash
 * of the URL) more than a consistent hash should: for some layouts of four
 * test backends on random ports, one owned 37 % of 400 keys instead of ~25 %.
 * With 160 points (nginx's ketama), every one of 300 port layouts keeps each
 * target between 15 % and 35 % of the same 400 keys.
 */
import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import { ConsistentHashBalancer } from '../../plugins/pools/balancers/consistent-hash.js'

const KEYS = Array.from({ length: 400 }, (_, i) => `user-${i}`)
const LAYOUTS = 300

t.test('each of 4 targets owns 15–35 % of 400 keys, whatever ports they have', async (t) => {
  let worst = 0.25
  let outside = 0
  for (let layout = 0; layout < LAYOUTS; layout++) {
    // Ports spread like the OS's ephemeral range, different for every layout.
    const targets = [0, 1, 2, 3].map((i) => new Target({ url: `http://127.0.0.1:${32768 + ((layout * 7919 + i * 104729) % 28000)}` }))
    const balancer = new ConsistentHashBalancer(targets)
    const owned = new Map<Target, number>()
    for (const key of KEYS) {
      const owner = balancer.pick(targets, { now: 0, maxInFlight: 0, hashKey: () => key }) as Target
      owned.set(owner, (owned.get(owner) ?? 0) + 1)
    }
    for (const target of targets) {
      const share = (owned.get(target) ?? 0) / KEYS.length
      if (Math.abs(share - 0.25) > Math.abs(worst - 0.25)) worst = share
      if (share < 0.15 || share > 0.35) outside++
    }
  }
  t.equal(outside, 0, `no target outside 15–35 % in ${LAYOUTS} layouts (the farthest: ${(worst * 100).toFixed(1)} %)`)
})
