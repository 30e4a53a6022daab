import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import type { PickContext } from '../../plugins/pools/balancers/balancer.js'
import { RandomBalancer } from '../../plugins/pools/balancers/random.js'

function makeTargets (weights: number[]): Target[] {
  return weights.map((weight, i) => new Target({ url: `http://127.0.0.1:${3001 + i}`, weight }))
}

function context (extra: Partial<PickContext> = {}): PickContext {
  return { now: Date.now(), maxInFlight: 0, ...extra }
}

/** mulberry32: a seeded PRNG, so the statistical checks are repeatable. */
function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296
  }
}

t.test('weights 1:3 over 20,000 picks: shares within ±5 points of 25%/75%', async (t) => {
  const targets = makeTargets([1, 3])
  const balancer = new RandomBalancer(seededRandom(1))
  let light = 0
  for (let i = 0; i < 20_000; i++) if (balancer.pick(targets, context()) === targets[0]) light++
  const share = light / 20_000
  t.ok(share >= 0.20 && share <= 0.30, `light share ${share}`)
})

t.test('the default source of randomness spreads over every target', async (t) => {
  const targets = makeTargets([1, 1, 1])
  const balancer = new RandomBalancer()
  const seen = new Set<Target | undefined>()
  for (let i = 0; i < 300; i++) seen.add(balancer.pick(targets, context()))
  t.equal(seen.size, 3)
})

t.test('a draw at the top of [0, 1) picks the last selectable target', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[2].healthy = false
  const balancer = new RandomBalancer(() => 1 - Number.EPSILON)
  t.equal(balancer.pick(targets, context()), targets[1])
  t.equal(new RandomBalancer(() => 0).pick(targets, context()), targets[0])
})

t.test('never picks an unavailable or tried target', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[0].draining = true
  const balancer = new RandomBalancer(seededRandom(2))
  const ctx = context({ tried: new Set([targets[1]]) })
  for (let i = 0; i < 100; i++) t.equal(balancer.pick(targets, ctx), targets[2])
})

t.test('returns undefined when no target is selectable', async (t) => {
  const targets = makeTargets([1, 1])
  const balancer = new RandomBalancer(seededRandom(3))
  t.equal(balancer.pick([], context()), undefined)
  t.equal(balancer.pick(targets, context({ tried: new Set(targets) })), undefined)
  for (const target of targets) target.healthy = false
  t.equal(balancer.pick(targets, context()), undefined)
})

t.test('respects ctx.maxInFlight', async (t) => {
  const targets = makeTargets([1, 3])
  targets[1].inFlight = 5
  const balancer = new RandomBalancer(seededRandom(4))
  for (let i = 0; i < 100; i++) t.equal(balancer.pick(targets, context({ maxInFlight: 5 })), targets[0])
  targets[0].inFlight = 5
  t.equal(balancer.pick(targets, context({ maxInFlight: 5 })), undefined)
})
