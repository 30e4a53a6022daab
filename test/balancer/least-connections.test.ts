import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import type { PickContext } from '../../plugins/pools/balancers/balancer.js'
import { LeastConnectionsBalancer } from '../../plugins/pools/balancers/least-connections.js'

function makeTargets (weights: number[]): Target[] {
  return weights.map((weight, i) => new Target({ url: `http://127.0.0.1:${3001 + i}`, weight }))
}

function context (extra: Partial<PickContext> = {}): PickContext {
  return { now: Date.now(), maxInFlight: 0, ...extra }
}

t.test('picks the target with fewer requests in flight', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[0].inFlight = 4
  targets[1].inFlight = 1
  targets[2].inFlight = 2
  const balancer = new LeastConnectionsBalancer()
  for (let i = 0; i < 10; i++) t.equal(balancer.pick(targets, context()), targets[1])
})

t.test('weights scale the load: in-flight per unit of weight', async (t) => {
  const targets = makeTargets([1, 4])
  const balancer = new LeastConnectionsBalancer()
  targets[0].inFlight = 1 // 1 per weight
  targets[1].inFlight = 3 // 0.75 per weight
  t.equal(balancer.pick(targets, context()), targets[1])
  targets[1].inFlight = 5 // 1.25 per weight
  t.equal(balancer.pick(targets, context()), targets[0])
})

t.test('equal targets share the load: 300 picks over 3 idle targets → 100 each', async (t) => {
  const targets = makeTargets([1, 1, 1])
  const balancer = new LeastConnectionsBalancer()
  const counts = new Map<Target | undefined, number>()
  for (let i = 0; i < 300; i++) {
    const target = balancer.pick(targets, context())
    counts.set(target, (counts.get(target) ?? 0) + 1)
  }
  for (const target of targets) t.equal(counts.get(target), 100)
})

t.test('in-flight requests that follow the picks keep targets level', async (t) => {
  const targets = makeTargets([1, 2])
  const balancer = new LeastConnectionsBalancer()
  for (let i = 0; i < 30; i++) balancer.pick(targets, context())!.inFlight++
  t.equal(targets[0].inFlight, 10)
  t.equal(targets[1].inFlight, 20)
})

t.test('skips unavailable and tried targets', async (t) => {
  const targets = makeTargets([1, 1, 1])
  targets[1].inFlight = 5
  targets[2].inFlight = 9
  targets[0].healthy = false
  const balancer = new LeastConnectionsBalancer()
  t.equal(balancer.pick(targets, context()), targets[1])
  t.equal(balancer.pick(targets, context({ tried: new Set([targets[1]]) })), targets[2])
})

t.test('returns undefined when no target is selectable', async (t) => {
  const targets = makeTargets([1, 1])
  const balancer = new LeastConnectionsBalancer()
  t.equal(balancer.pick([], context()), undefined)
  t.equal(balancer.pick(targets, context({ tried: new Set(targets) })), undefined)
  for (const target of targets) target.healthy = false
  t.equal(balancer.pick(targets, context()), undefined)
})

t.test('respects ctx.maxInFlight', async (t) => {
  const targets = makeTargets([1, 10])
  targets[1].inFlight = 2 // least loaded per weight, but at the cap
  targets[0].inFlight = 1
  const balancer = new LeastConnectionsBalancer()
  t.equal(balancer.pick(targets, context({ maxInFlight: 2 })), targets[0])
  targets[0].inFlight = 2
  t.equal(balancer.pick(targets, context({ maxInFlight: 2 })), undefined)
})
