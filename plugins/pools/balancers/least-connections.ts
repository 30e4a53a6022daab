/**
 * `least-connections`: the target with the fewest requests in flight per unit
 * of weight.
 *
 * The scan starts one position further on every pick, so targets that tie
 * (an idle pool, or equal load) take turns instead of the first one taking
 * everything.
 */
import type { Target } from '../target.js'
import { isSelectable, type Balancer, type PickContext } from './balancer.js'

export class LeastConnectionsBalancer implements Balancer {
  readonly name = 'least-connections'
  /** Index where the next scan starts. */
  private start = 0

  pick (targets: readonly Target[], ctx: PickContext): Target | undefined {
    const count = targets.length
    const start = this.start < count ? this.start : 0
    this.start = start + 1
    let best: Target | undefined
    let bestLoad = Infinity
    for (let step = 0; step < count; step++) {
      let index = start + step
      if (index >= count) index -= count
      const target = targets[index]
      if (!isSelectable(target, ctx)) continue
      const load = target.inFlight / target.weight
      if (load < bestLoad) {
        best = target
        bestLoad = load
      }
    }
    return best
  }
}
