/**
 * Rate-limit counters kept in the cluster primary for all workers: fixed
 * windows, the same arithmetic as `@fastify/rate-limit`'s LocalStore (first
 * hit opens a window of `windowMs`, the count resets when it is over; `ttl`
 * is what is left of it). Bounded: at most `maxKeys` keys, the least recently
 * counted go first, and expired windows are swept. Framework-free.
 */

/** Keys kept at most (per primary); the least recently counted are dropped above it. */
export const DEFAULT_MAX_RATE_LIMIT_KEYS = 100_000

export interface RateLimitCount {
  /** Hits in the current window, this one included. */
  current: number
  /** Ms left in the current window. */
  ttl: number
}

interface Window {
  count: number
  startMs: number
  windowMs: number
}

export class RateLimitCounters {
  private readonly windows = new Map<string, Window>()
  private readonly maxKeys: number

  constructor (maxKeys = DEFAULT_MAX_RATE_LIMIT_KEYS) {
    this.maxKeys = maxKeys
  }

  get size (): number {
    return this.windows.size
  }

  /** Count one hit of `key` at `now`. */
  incr (key: string, windowMs: number, now: number): RateLimitCount {
    let window = this.windows.get(key)
    if (window !== undefined) this.windows.delete(key)
    if (window === undefined || window.startMs + window.windowMs <= now) window = { count: 0, startMs: now, windowMs }
    window.count++
    // Re-inserted: the Map's order is the order of last use.
    this.windows.set(key, window)
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string)
    return { current: window.count, ttl: window.windowMs - (now - window.startMs) }
  }

  /** Drop the windows that are over at `now`. */
  sweep (now: number): void {
    for (const [key, window] of this.windows) {
      if (window.startMs + window.windowMs <= now) this.windows.delete(key)
    }
  }
}
