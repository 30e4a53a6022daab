/**
 * Passive health (outlier detection, after Envoy's): watches the outcome of
 * real requests to a pool's targets and ejects a target after
 * `consecutiveFailures` failures in a row — connect failures, resets,
 * timeouts, and 5xx responses when `on5xx` is set.
 *
 * - An ejection lasts `ejectionMs × n` (n = times ejected, decaying by one
 *   per `ejectionMs` spent back in rotation), capped at `maxEjectionMs`.
 * - At most `maxEjectionPercent` of the pool is ejected at once (rounded
 *   down, but at least one target when the percent is above 0).
 * - A target returns when its time is over, or sooner when active checks
 *   pass `healthyThreshold` times in a row during the ejection (`uneject`).
 *
 * Writes `Target.ejectedUntil`, `consecutiveFailures`, `reason`/`since` and
 * the slow-start ramp. Framework-free: the forwarder reports outcomes through
 * `Pool.outlier` (the `OutcomeObserver` interface).
 */
import type { OutcomeObserver } from '../pools/pool.js'
import type { Target } from '../pools/target.js'
import type { PoolConfig } from '../pools/options.js'
import { silentLogger, type HealthLogger } from './logger.js'

export type OutlierConfig = NonNullable<PoolConfig['outlier']>

/** What the detector needs of a pool. */
export interface OutlierPool {
  readonly name: string
  readonly targets: readonly Target[]
  readonly config: { readonly slowStartMs: number }
}

interface EjectionState {
  /** Times ejected, as used for the next ejection's length. */
  times: number
  /** Epoch ms of the last return to rotation (0 = never ejected). */
  returnedAt: number
  /** Timer that ends the current ejection. */
  timer: NodeJS.Timeout | undefined
}

export class OutlierDetector implements OutcomeObserver {
  private readonly pool: OutlierPool
  private readonly config: OutlierConfig
  private readonly log: HealthLogger
  private readonly states = new Map<Target, EjectionState>()
  /** Whether the "max ejection percent reached" warning was logged since the last ejection. */
  private capLogged = false
  private closed = false

  constructor (pool: OutlierPool, config: OutlierConfig, log: HealthLogger = silentLogger) {
    this.pool = pool
    this.config = config
    this.log = log
  }

  onResponse (target: Target, statusCode: number, now: number): void {
    if (statusCode >= 500 && this.config.on5xx) {
      target.consecutiveFailures++
      this.check(target, `status ${statusCode}`, now)
    } else if (target.consecutiveFailures !== 0) {
      target.consecutiveFailures = 0
    }
  }

  /** The forwarder already counted the failure in `target.consecutiveFailures`. */
  onFailure (target: Target, code: string, now: number): void {
    this.check(target, code, now)
  }

  /** `true` while `target` is ejected. */
  isEjected (target: Target, now: number): boolean {
    return target.ejectedUntil > now
  }

  /** Targets of the pool ejected at `now`. */
  ejectedCount (now: number): number {
    let count = 0
    for (const target of this.pool.targets) if (target.ejectedUntil > now) count++
    return count
  }

  /** Most targets that may be ejected at once. */
  maxEjected (): number {
    const percent = this.config.maxEjectionPercent
    if (percent <= 0) return 0
    return Math.max(1, Math.floor(this.pool.targets.length * percent / 100))
  }

  /** End `target`'s ejection now (active checks passed, or its time is over). */
  uneject (target: Target, why: string, now: number): void {
    const state = this.states.get(target)
    if (state === undefined || (state.timer === undefined && target.ejectedUntil === 0)) return
    if (state.timer !== undefined) clearTimeout(state.timer)
    state.timer = undefined
    state.returnedAt = now
    target.ejectedUntil = 0
    target.consecutiveFailures = 0
    target.startRamp(now, this.pool.config.slowStartMs)
    // An unhealthy target keeps its active-check reason: that is why it is still out.
    if (target.healthy) target.setReason(`returned: ${why}`)
    this.log.info({ pool: this.pool.name, target: target.id, why }, 'target back in rotation after ejection')
  }

  /**
   * Take over the ejections in progress (a reload replaced the previous
   * detector): each ejected target still returns when its time is over.
   */
  adoptEjections (now: number): void {
    for (const target of this.pool.targets) {
      if (target.ejectedUntil <= now || this.states.has(target)) continue
      const timer = setTimeout(() => { this.uneject(target, 'ejection time over', Date.now()) }, target.ejectedUntil - now)
      timer.unref()
      this.states.set(target, { times: 1, returnedAt: 0, timer })
    }
  }

  /** Stop the timers (the pool is closing). */
  close (): void {
    this.closed = true
    for (const state of this.states.values()) {
      if (state.timer !== undefined) clearTimeout(state.timer)
      state.timer = undefined
    }
  }

  private check (target: Target, why: string, now: number): void {
    const failures = target.consecutiveFailures
    if (failures < this.config.consecutiveFailures || target.ejectedUntil > now || this.closed) return
    if (this.ejectedCount(now) >= this.maxEjected()) {
      if (!this.capLogged) {
        this.capLogged = true
        this.log.warn({ pool: this.pool.name, target: target.id, failures, maxEjectionPercent: this.config.maxEjectionPercent }, 'target not ejected: max ejection percent reached')
      }
      return
    }
    this.capLogged = false
    let state = this.states.get(target)
    if (state === undefined) {
      state = { times: 0, returnedAt: 0, timer: undefined }
      this.states.set(target, state)
    }
    if (state.returnedAt > 0) {
      // Good behaviour since the last return forgives one ejection per `ejectionMs`.
      state.times = Math.max(0, state.times - Math.floor((now - state.returnedAt) / this.config.ejectionMs))
    }
    state.times++
    target.ejections++
    const ms = Math.min(this.config.ejectionMs * state.times, this.config.maxEjectionMs)
    target.ejectedUntil = now + ms
    target.setReason(`ejected for ${ms} ms: ${failures} consecutive failures, last ${why}`)
    target.startRamp(target.ejectedUntil, this.pool.config.slowStartMs)
    if (state.timer !== undefined) clearTimeout(state.timer)
    state.timer = setTimeout(() => { this.uneject(target, 'ejection time over', Date.now()) }, ms)
    state.timer.unref()
    this.log.warn({ pool: this.pool.name, target: target.id, failures, last: why, ejectionMs: ms, times: state.times }, 'target ejected')
  }
}
