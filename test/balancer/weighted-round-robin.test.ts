import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import type { PickContext } from '../../plugins/pools/balancers/balancer.js'
import { WeightedRoundRobinBalancer } from '../../plugins/pools/balancers/weighted-round-robin.js'

function makeTargets (weights: number[]): Target[] {
  return weights.map((weight, i) => new Target({ url: `http://127.0.0.1:${3001 + i}`, weight }))
}

function context (extra: Partial<PickContext> = {}): PickContext {
  return { now: Date.now(), maxInFlight: 0, ...extra }
}

function countPicks (balancer: WeightedRoundRobinBalancer, targets: Target[], picks: number, ctx = context()): Map<Target | undefined, number> {
  const counts = new Map<Target | undefined, number>()
  for (let i = 0; i < picks; i++) {
    const target = balancer.pick(targets, ctx)
    counts.set(target, (counts.get(target) ?? 0) + 1)
  }
  return counts
}

t.test('weights 1:3 over 4000 picks: shares within ±5 points of 25%/75%', async (t) => {
  const targets = makeTargets([1, 3])
  const counts = countPicks(new WeightedRoundRobinBalancer(targets), targets, 4000)
  const light = (counts.get(targets[0]) ?? 0) / 4000
  const heavy = (counts.get(targets[1]) ?? 0) / 4000
  t.ok(light >= 0.20 && light <= 0.30, `light share ${light}`)
  t.ok(heavy >= 0.70 && heavy <= 0.80, `heavy share ${heavy}`)
})

// Smooth WRR by hand, weights a=5 b=1 c=1 (total 7), current weights start at 0:
//   +w → (5,1,1)  pick a, a -= 7 → (-2,1,1)
//   +w → (3,2,2)  pick a        → (-4,2,2)
//   +w → (1,3,3)  pick b (first of the tie) → (1,-4,3)
//   +w → (6,-3,4) pick a        → (-1,-3,4)
//   +w → (4,-2,5) pick c        → (4,-2,-2)
//   +w → (9,-1,-1) pick a       → (2,-1,-1)
//   +w → (7,0,0)  pick a        → (0,0,0)   — nginx's a a b a c a a
t.test('smoothness: weights 5,1,1 give a a b a c a a, then repeat', async (t) => {
  const targets = makeTargets([5, 1, 1])
  const balancer = new WeightedRoundRobinBalancer(targets)
  const ctx = context()
  const sequence = Array.from({ length: 14 }, () => 'abc'[targets.indexOf(balancer.pick(targets, ctx)!)])
  t.equal(sequence.join(' '), 'a a b a c a a a a b a c a a')
})

t.test('unselectable targets are left out of the weights', async (t) => {
  const targets = makeTargets([5, 1, 1])
  targets[1].healthy = false
  const counts = countPicks(new WeightedRoundRobinBalancer(targets), targets, 600)
  t.equal(counts.get(targets[0]), 500)
  t.equal(counts.get(targets[1]), undefined)
  t.equal(counts.get(targets[2]), 100)
})

t.test('skips a target this request already tried', async (t) => {
  const targets = makeTargets([5, 1])
  const balancer = new WeightedRoundRobinBalancer(targets)
  const ctx = context({ tried: new Set([targets[0]]) })
  for (let i = 0; i < 10; i++) t.equal(balancer.pick(targets, ctx), targets[1])
})

t.test('rebuild: new members take their share, removed ones are forgotten', async (t) => {
  const before = makeTargets([1, 1])
  const balancer = new WeightedRoundRobinBalancer(before)
  countPicks(balancer, before, 3)
  const after = [before[0], new Target({ url: 'http://127.0.0.1:3009', weight: 2 })]
  balancer.rebuild(after)
  const counts = countPicks(balancer, after, 300)
  t.equal(counts.get(after[0]), 100)
  t.equal(counts.get(after[1]), 200)
})

t.test('a target not seen by rebuild still takes its share', async (t) => {
  const targets = makeTargets([1, 1])
  const counts = countPicks(new WeightedRoundRobinBalancer(), targets, 100)
  t.equal(counts.get(targets[0]), 50)
  t.equal(counts.get(targets[1]), 50)
})

t.test('returns undefined when no target is selectable', async (t) => {
  const targets = makeTargets([1, 2])
  const balancer = new WeightedRoundRobinBalancer(targets)
  t.equal(balancer.pick([], context()), undefined)
  t.equal(balancer.pick(targets, context({ tried: new Set(targets) })), undefined)
  for (const target of targets) target.ejectedUntil = Date.now() + 60_000
  t.equal(balancer.pick(targets, context()), undefined)
})

t.test('respects ctx.maxInFlight', async (t) => {
  const targets = makeTargets([5, 1])
  targets[0].inFlight = 3
  const balancer = new WeightedRoundRobinBalancer(targets)
  for (let i = 0; i < 10; i++) t.equal(balancer.pick(targets, context({ maxInFlight: 3 })), targets[1])
  targets[1].inFlight = 3
  t.equal(balancer.pick(targets, context({ maxInFlight: 3 })), undefined)
})
