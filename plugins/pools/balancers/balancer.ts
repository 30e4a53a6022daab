/**
 * The interface every load-balancing algorithm implements.
 *
 * Selection only: a balancer is handed the pool's targets and picks one that
 * `isSelectable` accepts. Which targets are selectable (health, ejection,
 * draining, already tried by this request, connection cap) is decided
 * elsewhere and reached through the context.
 */
import type { Target } from '../target.js'

export interface PickContext {
  /** Epoch ms of this pick (one clock read per request). */
  now: number
  /** Targets this request already failed on; skipped on retry. */
  tried?: ReadonlySet<Target> | undefined
  /** Hash key of the request for `consistent-hash` (computed lazily by the caller). */
  hashKey?: (() => string | undefined) | undefined
  /** Per-target in-flight cap (0 = no cap). */
  maxInFlight: number
  /**
   * Slow start: a number in [0, 1) drawn once per pick, which a target still
   * ramping up must fall under (see `Target.rampAdmits`). Undefined: no ramp.
   */
  roll?: number | undefined
  /** Panic mode: no target is healthy, so unhealthy and ejected ones may be picked too. */
  panic?: boolean | undefined
}

export interface Balancer {
  readonly name: BalancerName
  /** Pick one target, or `undefined` when none is selectable. */
  pick (targets: readonly Target[], ctx: PickContext): Target | undefined
  /** Called when the pool's membership changes (targets added/removed). */
  rebuild? (targets: readonly Target[]): void
}

export const BALANCER_NAMES = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'power-of-two',
  'random',
  'consistent-hash',
  'peak-ewma'
] as const

export type BalancerName = typeof BALANCER_NAMES[number]

/**
 * A target may take this request: available (or any non-draining one in panic
 * mode), not yet tried, under its connection cap, admitted by its slow start.
 */
export function isSelectable (target: Target, ctx: PickContext): boolean {
  return (target.isAvailable(ctx.now) || (ctx.panic === true && !target.draining && target.weight > 0)) &&
    (ctx.tried === undefined || !ctx.tried.has(target)) &&
    (ctx.maxInFlight === 0 || target.inFlight < ctx.maxInFlight) &&
    (target.rampUntil <= ctx.now || ctx.roll === undefined || target.rampAdmits(ctx.now, ctx.roll))
}
