/**
 * Active-check results shared between processes (cluster mode, `cluster/`):
 * one process probes the targets and sends each change as a plain object;
 * the others apply it to their own `Target` objects of the same id, so every
 * process balances on the same health without probing itself.
 *
 * Framework-free; the health plugin's `applySharedHealth` wires it.
 */
import type { Target } from '../pools/target.js'
import type { OutlierDetector } from './outlier-detector.js'

/** A target's active-check state, as sent between processes. */
export interface SharedHealthState {
  pool: string
  targetId: string
  healthy: boolean
  reason: string
  /** Epoch ms of the last change. */
  since: number
  /** Slow-start ramp: epoch ms when it ends (0 = none) and its length. */
  rampUntil: number
  rampMs: number
}

/** What one shared result says: a state to take over, or that probes passed `healthyThreshold` times in a row. */
export type SharedHealthUpdate =
  | { kind: 'state', state: SharedHealthState }
  | { kind: 'passes', pool: string, targetId: string }

export function describeHealthState (pool: string, target: Target): SharedHealthState {
  return { pool, targetId: target.id, healthy: target.healthy, reason: target.reason, since: target.since, rampUntil: target.rampUntil, rampMs: target.rampMs }
}

/**
 * Apply `update` to `target` (the one with the update's id in the update's pool).
 * A `passes` update ends an outlier ejection early, as local active checks do.
 */
export function applyHealthUpdate (target: Target, update: SharedHealthUpdate, outlier: OutlierDetector | undefined, now: number): void {
  if (update.kind === 'passes') {
    if (outlier !== undefined && target.ejectedUntil > now) outlier.uneject(target, 'health check passed (shared)', now)
    return
  }
  const { state } = update
  target.healthy = state.healthy
  target.reason = state.reason
  target.since = state.since
  if (state.rampUntil > target.rampUntil) {
    target.rampUntil = state.rampUntil
    target.rampMs = state.rampMs
  }
}
