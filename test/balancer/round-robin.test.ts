import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import type { PickContext } from '../../plugins/pools/balancers/balancer.js'
import { RoundRobinBalancer } from '../../plugins/pools/balancers/round-robin.js'

function makeTargets (weights: number[]): Target[] {
  return weights.map((weight, i) => new Target({ url: `http://127.0.0.1:${3001 + i}`, weight }))
}

function context (extra: Partial<PickContext> = {}): PickContext {
  return { now: Date.now(), maxInFlight: 0, ...extra }
}

function countPicks (balancer: RoundRobinBalancer, targets: Target[], picks: number, ctx = context()): Map<Target | undefined, number> {
  const counts = new Map<Target | undefined, number>()
  for (let i = 0; i < picks; i++) {
    const target = balancer.pick(targets, ctx)
    counts.set(target, (counts.get(target) ?? 0) + 1)
  }
  return counts
}

t.test('3 equal targets over 300 picks: exactly 100 each, in rotation', async (t) => {
  const targets = makeTargets([1, 1, 1])
  const balancer = new RoundRobinBalancer()
  const ctx = context()
  t.same([0, 1, 2, 3, 4, 5].map(() => targets.indexOf(balancer.pick(targets, ctx)!)), [0, 1, 2, 0, 1, 2])
  const counts = countPicks(new RoundRobinBalancer(), targets, 300)
  for (const target of targets) t.equal(counts.get(target), 100)
})

t.test('skips an unavailable target', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[1].healthy = false
  const counts = countPicks(new RoundRobinBalancer(), targets, 300)
  t.equal(counts.get(targets[0]), 150)
  t.equal(counts.get(targets[1]), undefined)
  t.equal(counts.get(targets[2]), 150)
})

t.test('skips a target this request already tried', async (t) => {
  const targets = makeTargets([1, 1, 1])
  const balancer = new RoundRobinBalancer()
  const ctx = context({ tried: new Set([targets[0]]) })
  for (let i = 0; i < 30; i++) t.not(balancer.pick(targets, ctx), targets[0])
})

t.test('a weight-0 target does not count as a different weight', async (t) => {
  const targets = makeTargets([1, 0, 1])
  const counts = countPicks(new RoundRobinBalancer(), targets, 100)
  t.equal(counts.get(targets[0]), 50)
  t.equal(counts.get(targets[2]), 50)
})

t.test('unequal weights follow smooth weighted round robin (5,1,1 → a a b a c a a)', async (t) => {
  const targets = makeTargets([5, 1, 1])
  const balancer = new RoundRobinBalancer()
  const ctx = context()
  const sequence = Array.from({ length: 7 }, () => 'abc'[targets.indexOf(balancer.pick(targets, ctx)!)])
  t.equal(sequence.join(' '), 'a a b a c a a')
})

t.test('membership change: rotation covers the new targets', async (t) => {
  const balancer = new RoundRobinBalancer()
  const before = makeTargets([1, 1, 1])
  countPicks(balancer, before, 2)
  const after = before.slice(0, 2)
  balancer.rebuild(after)
  const counts = countPicks(balancer, after, 100)
  t.equal(counts.get(after[0]), 50)
  t.equal(counts.get(after[1]), 50)
})

t.test('returns undefined when no target is selectable', async (t) => {
  const targets = makeTargets([1, 1])
  const balancer = new RoundRobinBalancer()
  t.equal(balancer.pick([], context()), undefined)
  t.equal(balancer.pick(targets, context({ tried: new Set(targets) })), undefined)
  for (const target of targets) target.draining = true
  t.equal(balancer.pick(targets, context()), undefined)
})

t.test('respects ctx.maxInFlight', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[0].inFlight = 2
  const counts = countPicks(new RoundRobinBalancer(), targets, 100, context({ maxInFlight: 2 }))
  t.equal(counts.get(targets[0]), undefined)
  t.equal(counts.get(targets[1]), 50)
  for (const target of targets) target.inFlight = 2
  t.equal(new RoundRobinBalancer().pick(targets, context({ maxInFlight: 2 })), undefined)
})
