import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import type { PickContext } from '../../plugins/pools/balancers/balancer.js'
import { PeakEwmaBalancer, peakEwmaCost, DEFAULT_UNMEASURED_LATENCY_MS } from '../../plugins/pools/balancers/peak-ewma.js'

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

function shareOf (balancer: PeakEwmaBalancer, targets: Target[], wanted: Target, picks: number): number {
  let hits = 0
  for (let i = 0; i < picks; i++) if (balancer.pick(targets, context()) === wanted) hits++
  return hits / picks
}

t.test('steers away from a slow target: ≥ 90% to the fast one over 1000 picks (idle)', async (t) => {
  const [fast, slow] = makeTargets([1, 1])
  fast.latencyEwmaMs = 10
  slow.latencyEwmaMs = 500
  const share = shareOf(new PeakEwmaBalancer(seededRandom(1)), [fast, slow], fast, 1000)
  t.ok(share >= 0.9, `fast share ${share}`)
})

t.test('one slow target among 3: ≥ 90% to the two fast ones over 1000 picks (idle)', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[0].latencyEwmaMs = 500
  targets[1].latencyEwmaMs = 10
  targets[2].latencyEwmaMs = 12
  const share = shareOf(new PeakEwmaBalancer(seededRandom(2)), targets, targets[0], 1000)
  t.ok(share <= 0.1, `slow share ${share}`)
})

t.test('cost is latency × (in-flight + 1) / weight', async (t) => {
  const [target] = makeTargets([2])
  target.latencyEwmaMs = 30
  target.inFlight = 3
  t.equal(peakEwmaCost(target), 60)
  target.latencyEwmaMs = 0
  t.equal(peakEwmaCost(target), DEFAULT_UNMEASURED_LATENCY_MS * 2)
})

t.test('in-flight requests count: a busy target loses to an idle one of equal latency', async (t) => {
  const targets = makeTargets([1, 1])
  for (const target of targets) target.latencyEwmaMs = 20
  targets[0].inFlight = 3
  const balancer = new PeakEwmaBalancer(seededRandom(3))
  for (let i = 0; i < 100; i++) t.equal(balancer.pick(targets, context()), targets[1])
})

t.test('a target not measured yet counts as fast, so it gets tried', async (t) => {
  const targets = makeTargets([1, 1])
  targets[1].latencyEwmaMs = 50
  const balancer = new PeakEwmaBalancer(seededRandom(4))
  t.equal(balancer.pick(targets, context()), targets[0])
})

t.test('the default source of randomness works', async (t) => {
  const targets = makeTargets([1, 1])
  t.ok(targets.includes(new PeakEwmaBalancer().pick(targets, context())!))
})

t.test('returns undefined when no target is selectable', async (t) => {
  const targets = makeTargets([1, 1])
  const balancer = new PeakEwmaBalancer(seededRandom(5))
  t.equal(balancer.pick([], context()), undefined)
  t.equal(balancer.pick(targets, context({ tried: new Set(targets) })), undefined)
  for (const target of targets) target.draining = true
  t.equal(balancer.pick(targets, context()), undefined)
})

t.test('respects ctx.maxInFlight', async (t) => {
  const [fast, slow] = makeTargets([1, 1])
  fast.latencyEwmaMs = 1
  slow.latencyEwmaMs = 1000
  fast.inFlight = 4
  const balancer = new PeakEwmaBalancer(seededRandom(6))
  for (let i = 0; i < 50; i++) t.equal(balancer.pick([fast, slow], context({ maxInFlight: 4 })), slow)
  slow.inFlight = 4
  t.equal(balancer.pick([fast, slow], context({ maxInFlight: 4 })), undefined)
})
