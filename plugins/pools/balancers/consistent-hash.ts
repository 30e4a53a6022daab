/**
 * `consistent-hash`: the same request key goes to the same target.
 *
 * Each target owns `VNODES_PER_WEIGHT × weight` points on a 32-bit ring,
 * placed by hashing `${target.id}-${i}`. A key belongs to the first point at or
 * after its own hash, walking clockwise past points whose target is not
 * selectable. A point's place depends only on its target's id, so adding or
 * removing one of N targets moves only the keys that target gains or owned,
 * about 1/N of them, and a target that comes back gets its keys back.
 *
 * The ring is built on `rebuild` and again only when `pick` is handed a
 * different targets array. Requests without a key (`ctx.hashKey` absent or
 * returning `undefined`) are spread by round robin.
 */
import type { Target } from '../target.js'
import { isSelectable, type Balancer, type PickContext } from './balancer.js'
import { hash32 } from './hash.js'
import { RoundRobinBalancer } from './round-robin.js'

/**
 * Ring points per unit of target weight: 160, as nginx's ketama-compatible `hash … consistent`.
 * With 100, one of four targets owned outside 15–35 % of 400 keys in ~0.2 % of random port
 * layouts (a flaky distribution test found it); with 160, in none of 2,000 simulated layouts.
 */
export const VNODES_PER_WEIGHT = 160

export class ConsistentHashBalancer implements Balancer {
  readonly name = 'consistent-hash'
  /** The target list the ring was built from (compared by identity). */
  private members: readonly Target[] | undefined
  /** Ring point hashes, ascending. */
  private points = new Uint32Array(0)
  /** `owners[i]` is the target of `points[i]`. */
  private owners: Target[] = []
  private readonly unkeyed = new RoundRobinBalancer()

  constructor (targets: readonly Target[] = []) {
    this.rebuild(targets)
  }

  pick (targets: readonly Target[], ctx: PickContext): Target | undefined {
    const key = ctx.hashKey?.()
    if (key === undefined) return this.unkeyed.pick(targets, ctx)
    if (targets !== this.members) this.rebuild(targets)
    const count = this.points.length
    let index = firstPointAtOrAfter(this.points, hash32(key))
    for (let step = 0; step < count; step++) {
      if (index === count) index = 0
      const owner = this.owners[index]
      if (isSelectable(owner, ctx)) return owner
      index++
    }
    return undefined
  }

  rebuild (targets: readonly Target[]): void {
    this.members = targets
    const ring: RingPoint[] = []
    for (const target of targets) {
      const vnodes = Math.round(VNODES_PER_WEIGHT * target.weight)
      for (let i = 0; i < vnodes; i++) ring.push({ hash: hash32(`${target.id}-${i}`), target })
    }
    // Ties (rare) are broken by id so that every instance builds the same ring.
    ring.sort((a, b) => a.hash - b.hash || compareIds(a.target, b.target))
    this.points = Uint32Array.from(ring, (point) => point.hash)
    this.owners = ring.map((point) => point.target)
    this.unkeyed.rebuild(targets)
  }
}

interface RingPoint {
  hash: number
  target: Target
}

function compareIds (a: Target, b: Target): number {
  if (a.id === b.id) return 0
  return a.id < b.id ? -1 : 1
}

/** Index of the first point `>= hash`; `points.length` when there is none. */
function firstPointAtOrAfter (points: Uint32Array, hash: number): number {
  let low = 0
  let high = points.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (points[middle] < hash) low = middle + 1
    else high = middle
  }
  return low
}
