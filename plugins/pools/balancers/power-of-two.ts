/**
 * `power-of-two`: two targets drawn at random (weighted, distinct), the one
 * with fewer requests in flight per unit of weight wins.
 *
 * `pickCheaperOfTwo` is the shared "power of two choices" step; `peak-ewma`
 * uses it with a latency-aware cost.
 */
import type { Target } from '../target.js'
import type { Balancer, PickContext } from './balancer.js'
import { pickWeightedRandom } from './random.js'

/** What a target would cost to use now; lower is better. */
export type TargetCost = (target: Target) => number

export class PowerOfTwoBalancer implements Balancer {
  readonly name = 'power-of-two'
  private readonly random: () => number

  /** @param random source of numbers in [0, 1); injectable for tests. */
  constructor (random: () => number = Math.random) {
    this.random = random
  }

  pick (targets: readonly Target[], ctx: PickContext): Target | undefined {
    return pickCheaperOfTwo(targets, ctx, this.random, inFlightPerWeight)
  }
}

/** Requests in flight per unit of weight. */
export function inFlightPerWeight (target: Target): number {
  return target.inFlight / target.weight
}

/**
 * Draw two distinct selectable targets (weighted) and return the cheaper one,
 * the first drawn on a tie; the only one when one is selectable.
 */
export function pickCheaperOfTwo (
  targets: readonly Target[],
  ctx: PickContext,
  random: () => number,
  cost: TargetCost
): Target | undefined {
  const first = pickWeightedRandom(targets, ctx, random)
  if (first === undefined) return undefined
  const second = pickWeightedRandom(targets, ctx, random, first)
  if (second === undefined) return first
  return cost(second) < cost(first) ? second : first
}
