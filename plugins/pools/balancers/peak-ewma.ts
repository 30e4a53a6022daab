/**
 * `peak-ewma`: power of two choices where a target's cost is its recent
 * latency (peak-sensitive EWMA kept by the transport on `Target`) times the
 * requests it would have in flight, per unit of weight. Slow or busy targets
 * lose the comparison; a target not yet measured counts as fast, so it gets
 * tried.
 */
import type { Target } from '../target.js'
import type { Balancer, PickContext } from './balancer.js'
import { pickCheaperOfTwo } from './power-of-two.js'

/** Latency assumed for a target with no measurement yet, in ms. */
export const DEFAULT_UNMEASURED_LATENCY_MS = 1

export class PeakEwmaBalancer implements Balancer {
  readonly name = 'peak-ewma'
  private readonly random: () => number

  /** @param random source of numbers in [0, 1); injectable for tests. */
  constructor (random: () => number = Math.random) {
    this.random = random
  }

  pick (targets: readonly Target[], ctx: PickContext): Target | undefined {
    return pickCheaperOfTwo(targets, ctx, this.random, peakEwmaCost)
  }
}

/** Expected latency of one more request on `target`, per unit of weight. */
export function peakEwmaCost (target: Target): number {
  const latencyMs = target.latencyEwmaMs || DEFAULT_UNMEASURED_LATENCY_MS
  return latencyMs * (target.inFlight + 1) / target.weight
}
