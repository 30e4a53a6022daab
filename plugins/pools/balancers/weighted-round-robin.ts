/**
 * `weighted-round-robin`: nginx's smooth weighted round robin.
 *
 * On every pick each selectable target's current weight grows by its weight;
 * the target with the largest current weight wins and gives back the total
 * weight of the selectable targets. Over any run of `sum(weights)` picks each
 * target is chosen `weight` times, spread out (weights 5,1,1 give
 * `a a b a c a a`) instead of in bursts.
 */
import type { Target } from '../target.js'
import { isSelectable, type Balancer, type PickContext } from './balancer.js'

export class WeightedRoundRobinBalancer implements Balancer {
  readonly name = 'weighted-round-robin'
  /** Current weight of each target; a target met for the first time starts at 0. */
  private currentWeights = new Map<Target, number>()

  constructor (targets: readonly Target[] = []) {
    this.rebuild(targets)
  }

  pick (targets: readonly Target[], ctx: PickContext): Target | undefined {
    let best: Target | undefined
    let bestWeight = -Infinity
    let totalWeight = 0
    for (const target of targets) {
      if (!isSelectable(target, ctx)) continue
      const current = (this.currentWeights.get(target) ?? 0) + target.weight
      this.currentWeights.set(target, current)
      totalWeight += target.weight
      if (current > bestWeight) {
        best = target
        bestWeight = current
      }
    }
    if (best !== undefined) this.currentWeights.set(best, bestWeight - totalWeight)
    return best
  }

  /** Start afresh with the new members, forgetting removed ones. */
  rebuild (targets: readonly Target[]): void {
    this.currentWeights = new Map()
    for (const target of targets) this.currentWeights.set(target, 0)
  }
}
