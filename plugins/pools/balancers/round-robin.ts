/**
 * `round-robin`: the targets in turn.
 *
 * When all weights are equal, a cursor walks the list and skips targets that
 * are not selectable, so N targets share N×k picks exactly k each. When the
 * weights differ, picks follow smooth weighted round robin instead.
 */
import type { Target } from '../target.js'
import { isSelectable, type Balancer, type PickContext } from './balancer.js'
import { WeightedRoundRobinBalancer } from './weighted-round-robin.js'

export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin'
  /** Index of the next target to try. */
  private cursor = 0
  /** The target list `equalWeights` describes (compared by identity). */
  private members: readonly Target[] | undefined
  private equalWeights = true
  private weighted: WeightedRoundRobinBalancer | undefined

  pick (targets: readonly Target[], ctx: PickContext): Target | undefined {
    if (targets !== this.members) this.rebuild(targets)
    if (!this.equalWeights) {
      this.weighted ??= new WeightedRoundRobinBalancer(targets)
      return this.weighted.pick(targets, ctx)
    }
    const count = targets.length
    const start = this.cursor < count ? this.cursor : 0
    for (let step = 0; step < count; step++) {
      let index = start + step
      if (index >= count) index -= count
      const target = targets[index]
      if (isSelectable(target, ctx)) {
        this.cursor = index + 1
        return target
      }
    }
    return undefined
  }

  rebuild (targets: readonly Target[]): void {
    this.members = targets
    this.equalWeights = haveEqualWeights(targets)
    this.weighted?.rebuild(targets)
  }
}

/** `true` when every target that can take traffic (weight > 0) has the same weight. */
function haveEqualWeights (targets: readonly Target[]): boolean {
  let weight = 0
  for (const target of targets) {
    if (target.weight <= 0) continue
    if (weight === 0) weight = target.weight
    else if (target.weight !== weight) return false
  }
  return true
}
