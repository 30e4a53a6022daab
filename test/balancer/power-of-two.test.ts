import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import type { PickContext } from '../../plugins/pools/balancers/balancer.js'
import { PowerOfTwoBalancer } from '../../plugins/pools/balancers/power-of-two.js'

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

t.test('idle targets with weights 1:3 over 20,000 picks: shares within ±5 points of 25%/75%', async (t) => {
  const targets = makeTargets([1, 3])
  const balancer = new PowerOfTwoBalancer(seededRandom(1))
  let light = 0
  for (let i = 0; i < 20_000; i++) if (balancer.pick(targets, context()) === targets[0]) light++
  const share = light / 20_000
  t.ok(share >= 0.20 && share <= 0.30, `light share ${share}`)
})

t.test('prefers the less loaded of the two choices', async (t) => {
  const targets = makeTargets([1, 1])
  targets[0].inFlight = 5
  const balancer = new PowerOfTwoBalancer(seededRandom(2))
  for (let i = 0; i < 1000; i++) t.equal(balancer.pick(targets, context()), targets[1])
})

t.test('the most loaded of 3 targets is never picked over 1000 picks (the two choices differ)', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[0].inFlight = 10
  const balancer = new PowerOfTwoBalancer(seededRandom(3))
  const counts = new Map<Target | undefined, number>()
  for (let i = 0; i < 1000; i++) {
    const target = balancer.pick(targets, context())
    counts.set(target, (counts.get(target) ?? 0) + 1)
  }
  t.equal(counts.get(targets[0]), undefined)
  t.ok((counts.get(targets[1]) ?? 0) > 0 && (counts.get(targets[2]) ?? 0) > 0)
})

t.test('weights scale the load: in-flight per unit of weight', async (t) => {
  const targets = makeTargets([1, 4])
  targets[0].inFlight = 1 // 1 per weight
  targets[1].inFlight = 2 // 0.5 per weight
  const balancer = new PowerOfTwoBalancer(seededRandom(4))
  for (let i = 0; i < 100; i++) t.equal(balancer.pick(targets, context()), targets[1])
})

t.test('only one selectable target: that one', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[0].healthy = false
  targets[2].draining = true
  targets[1].inFlight = 100
  const balancer = new PowerOfTwoBalancer(seededRandom(5))
  for (let i = 0; i < 10; i++) t.equal(balancer.pick(targets, context()), targets[1])
  t.equal(balancer.pick(targets, context({ tried: new Set([targets[1]]) })), undefined)
})

t.test('the default source of randomness works', async (t) => {
  const targets = makeTargets([1, 1])
  t.ok(targets.includes(new PowerOfTwoBalancer().pick(targets, context())!))
})

t.test('returns undefined when no target is selectable', async (t) => {
  const targets = makeTargets([1, 1])
  const balancer = new PowerOfTwoBalancer(seededRandom(6))
  t.equal(balancer.pick([], context()), undefined)
  t.equal(balancer.pick(targets, context({ tried: new Set(targets) })), undefined)
  for (const target of targets) target.healthy = false
  t.equal(balancer.pick(targets, context()), undefined)
})

t.test('respects ctx.maxInFlight', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[0].inFlight = 2
  targets[1].inFlight = 2
  targets[2].inFlight = 1
  const balancer = new PowerOfTwoBalancer(seededRandom(7))
  for (let i = 0; i < 50; i++) t.equal(balancer.pick(targets, context({ maxInFlight: 2 })), targets[2])
  targets[2].inFlight = 2
  t.equal(balancer.pick(targets, context({ maxInFlight: 2 })), undefined)
})
