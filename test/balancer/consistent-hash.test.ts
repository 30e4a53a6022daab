import t from 'tap'
import { Target } from '../../plugins/pools/target.js'
import type { PickContext } from '../../plugins/pools/balancers/balancer.js'
import { ConsistentHashBalancer } from '../../plugins/pools/balancers/consistent-hash.js'

function makeTargets (weights: number[]): Target[] {
  return weights.map((weight, i) => new Target({ url: `http://127.0.0.1:${3001 + i}`, weight }))
}

function keyed (key: string | undefined, extra: Partial<PickContext> = {}): PickContext {
  return { now: Date.now(), maxInFlight: 0, hashKey: () => key, ...extra }
}

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)

function ownersOf (balancer: ConsistentHashBalancer, targets: readonly Target[]): Array<Target | undefined> {
  return KEYS.map((key) => balancer.pick(targets, keyed(key)))
}

t.test('the same key goes to the same target 100 times', async (t) => {
  const targets = makeTargets([1, 1, 1, 1])
  const balancer = new ConsistentHashBalancer(targets)
  const first = balancer.pick(targets, keyed('session-42'))
  t.ok(first)
  for (let i = 0; i < 100; i++) t.equal(balancer.pick(targets, keyed('session-42')), first)
  // Another instance with the same targets agrees.
  t.equal(new ConsistentHashBalancer(makeTargets([1, 1, 1, 1])).pick(targets, keyed('session-42'))?.id, first?.id)
})

t.test('10,000 keys over 4 equal targets: each within 25% ± 7 points', async (t) => {
  const targets = makeTargets([1, 1, 1, 1])
  const owners = ownersOf(new ConsistentHashBalancer(targets), targets)
  for (const target of targets) {
    const share = owners.filter((owner) => owner === target).length / KEYS.length
    t.ok(share >= 0.18 && share <= 0.32, `share ${share}`)
  }
})

t.test('weights 1:3: the heavy target owns 75% ± 10 points of 10,000 keys', async (t) => {
  const targets = makeTargets([1, 3])
  const owners = ownersOf(new ConsistentHashBalancer(targets), targets)
  const share = owners.filter((owner) => owner === targets[1]).length / KEYS.length
  t.ok(share >= 0.65 && share <= 0.85, `heavy share ${share}`)
})

t.test('removing 1 of 4 targets moves 15%–35% of keys, and only the removed one\'s', async (t) => {
  const targets = makeTargets([1, 1, 1, 1])
  const balancer = new ConsistentHashBalancer(targets)
  const before = ownersOf(balancer, targets)
  const removed = targets[2]
  const remaining = targets.filter((target) => target !== removed)
  balancer.rebuild(remaining)
  const after = ownersOf(balancer, remaining)
  let moved = 0
  let strayed = 0
  for (let i = 0; i < KEYS.length; i++) {
    if (before[i] === after[i]) continue
    moved++
    if (before[i] !== removed) strayed++
  }
  const share = moved / KEYS.length
  t.ok(share >= 0.15 && share <= 0.35, `moved share ${share}`)
  t.equal(strayed, 0, 'no key of a remaining target moved')
})

t.test('a new targets array is picked up without an explicit rebuild', async (t) => {
  const targets = makeTargets([1, 1])
  const balancer = new ConsistentHashBalancer(targets)
  const more = [...targets, new Target({ url: 'http://127.0.0.1:3009' })]
  const owners = new Set(KEYS.slice(0, 300).map((key) => balancer.pick(more, keyed(key))))
  t.ok(owners.has(more[2]))
})

t.test('unselectable owner → the next target on the ring; its keys come back when it recovers', async (t) => {
  const targets = makeTargets([1, 1, 1, 1])
  const balancer = new ConsistentHashBalancer(targets)
  const owner = targets[1]
  const key = KEYS.find((candidate) => balancer.pick(targets, keyed(candidate)) === owner)!
  const before = ownersOf(balancer, targets)

  owner.healthy = false
  const fallback = balancer.pick(targets, keyed(key))
  t.ok(fallback)
  t.not(fallback, owner)
  // Walking past the owner's points lands where a ring without the owner would.
  const withoutOwner = targets.filter((target) => target !== owner)
  t.equal(fallback, new ConsistentHashBalancer(withoutOwner).pick(withoutOwner, keyed(key)))
  const during = ownersOf(balancer, targets)
  t.ok(during.every((target, i) => target !== owner && (before[i] === owner || target === before[i])),
    'only the unhealthy target\'s keys move')

  owner.healthy = true
  t.equal(balancer.pick(targets, keyed(key)), owner)
  t.same(ownersOf(balancer, targets), before)
})

t.test('a tried owner is skipped on retry', async (t) => {
  const targets = makeTargets([1, 1, 1])
  const balancer = new ConsistentHashBalancer(targets)
  const first = balancer.pick(targets, keyed('retry-me'))!
  const second = balancer.pick(targets, keyed('retry-me', { tried: new Set([first]) }))
  t.ok(second)
  t.not(second, first)
})

t.test('without a key: round robin', async (t) => {
  const targets = makeTargets([1, 1, 1])
  const balancer = new ConsistentHashBalancer(targets)
  const counts = new Map<Target | undefined, number>()
  for (let i = 0; i < 300; i++) {
    const ctx: PickContext = i % 2 === 0 ? keyed(undefined) : { now: Date.now(), maxInFlight: 0 }
    const target = balancer.pick(targets, ctx)
    counts.set(target, (counts.get(target) ?? 0) + 1)
  }
  for (const target of targets) t.equal(counts.get(target), 100)
})

t.test('returns undefined when no target is selectable', async (t) => {
  const targets = makeTargets([1, 1])
  const balancer = new ConsistentHashBalancer()
  t.equal(balancer.pick([], keyed('k')), undefined)
  t.equal(balancer.pick([], keyed(undefined)), undefined)
  t.equal(balancer.pick(targets, keyed('k', { tried: new Set(targets) })), undefined)
  for (const target of targets) target.healthy = false
  t.equal(balancer.pick(targets, keyed('k')), undefined)
  t.equal(balancer.pick(targets, keyed(undefined)), undefined)
})

t.test('respects ctx.maxInFlight: an owner at the cap passes the key on', async (t) => {
  const targets = makeTargets([1, 1, 1])
  const balancer = new ConsistentHashBalancer(targets)
  const owner = balancer.pick(targets, keyed('capped'))!
  owner.inFlight = 3
  const other = balancer.pick(targets, keyed('capped', { maxInFlight: 3 }))
  t.ok(other)
  t.not(other, owner)
  for (const target of targets) target.inFlight = 3
  t.equal(balancer.pick(targets, keyed('capped', { maxInFlight: 3 })), undefined)
})
