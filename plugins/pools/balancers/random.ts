/**
 * `random`: a weighted random choice among the selectable targets.
 *
 * `pickWeightedRandom` is also the sampling step of `power-of-two` and
 * `peak-ewma`.
 */
import type { Target } from '../target.js'
import { isSelectable, type Balancer, type PickContext } from './balancer.js'

export class RandomBalancer implements Balancer {
  readonly name = 'random'
  private readonly random: () => number

  /** @param random source of numbers in [0, 1); injectable for tests. */
  constructor (random: () => number = Math.random) {
    this.random = random
  }

  pick (targets: readonly Target[], ctx: PickContext): Target | undefined {
    return pickWeightedRandom(targets, ctx, this.random)
  }
}

/**
 * A selectable target other than `excluded`, each with probability
 * proportional to its weight; `undefined` when there is none.
 */
export function pickWeightedRandom (
  targets: readonly Target[],
  ctx: PickContext,
  random: () => number,
  excluded?: Target
): Target | undefined {
  let totalWeight = 0
  for (const target of targets) {
    if (target !== excluded && isSelectable(target, ctx)) totalWeight += target.weight
  }
  if (totalWeight === 0) return undefined
  let remaining = random() * totalWeight
  let last: Target | undefined
  for (const target of targets) {
    if (target === excluded || !isSelectable(target, ctx)) continue
    remaining -= target.weight
    if (remaining < 0) return target
    last = target
  }
  // Rounding can leave `remaining` at 0 after the last target: that one is meant.
  return last
}
