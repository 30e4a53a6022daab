/**
 * When to replace a worker that died: at once after a worker that ran a
 * while, with an exponential back-off (capped) while workers keep dying
 * soon after their start, so a crash loop does not spin the machine.
 * Framework-free; the primary keeps one per worker slot.
 */

/** A worker that lived at least this long before dying is replaced at once. */
export const DEFAULT_STABLE_UPTIME_MS = 10_000
/** First delay of the back-off, doubled at each quick death. */
export const DEFAULT_FIRST_RESTART_DELAY_MS = 100
/** Longest wait before a replacement. */
export const DEFAULT_MAX_RESTART_DELAY_MS = 30_000

export interface RestartPolicyOptions {
  stableUptimeMs?: number
  firstDelayMs?: number
  maxDelayMs?: number
}

export class RestartPolicy {
  private readonly stableUptimeMs: number
  private readonly firstDelayMs: number
  private readonly maxDelayMs: number
  /** Quick deaths in a row. */
  private quickDeaths = 0

  constructor (options: RestartPolicyOptions = {}) {
    this.stableUptimeMs = options.stableUptimeMs ?? DEFAULT_STABLE_UPTIME_MS
    this.firstDelayMs = options.firstDelayMs ?? DEFAULT_FIRST_RESTART_DELAY_MS
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_RESTART_DELAY_MS
  }

  /** A worker of this slot died after `uptimeMs`: ms to wait before forking its replacement. */
  delayAfterDeath (uptimeMs: number): number {
    if (uptimeMs >= this.stableUptimeMs) {
      this.quickDeaths = 0
      return 0
    }
    this.quickDeaths++
    return Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** (this.quickDeaths - 1))
  }
}
