/**
 * A retry budget (Finagle's, as Linkerd uses it): retries may add at most
 * `percent` of the recent request rate, plus a small floor so that a quiet
 * pool can still retry a single failure. When every target fails, the
 * budget runs dry and requests fail fast instead of multiplying the load.
 *
 * Counts live in a ring of one-second buckets covering `windowMs`; recording
 * a request or a retry is O(1) amortised. Framework-free.
 */

/** Share of recent requests that may be retried. */
export const DEFAULT_RETRY_PERCENT = 20
/** Retries always allowed per second of window, whatever the traffic. */
export const DEFAULT_MIN_RETRIES_PER_SECOND = 10
/** How far back "recent" reaches. */
export const DEFAULT_RETRY_WINDOW_MS = 10_000

const BUCKET_MS = 1000

export interface RetryBudgetOptions {
  /** Retries may be at most this percent of the requests in the window. Default 20. */
  percent?: number
  /** Floor: retries allowed per second of window regardless of traffic. Default 10. */
  minRetriesPerSecond?: number
  /** Length of the window, in ms (rounded up to whole seconds). Default 10 000. */
  windowMs?: number
}

export class RetryBudget {
  private readonly ratio: number
  private readonly floor: number
  private readonly requests: Uint32Array
  private readonly retries: Uint32Array
  private requestTotal = 0
  private retryTotal = 0
  /** Index (in seconds since epoch) of the newest bucket. */
  private head = 0

  constructor (options: RetryBudgetOptions = {}) {
    const buckets = Math.max(1, Math.ceil((options.windowMs ?? DEFAULT_RETRY_WINDOW_MS) / BUCKET_MS))
    this.ratio = (options.percent ?? DEFAULT_RETRY_PERCENT) / 100
    this.floor = (options.minRetriesPerSecond ?? DEFAULT_MIN_RETRIES_PER_SECOND) * buckets
    this.requests = new Uint32Array(buckets)
    this.retries = new Uint32Array(buckets)
  }

  /** Count one request (first attempts only). */
  recordRequest (now: number): void {
    const slot = this.advance(now)
    this.requests[slot]++
    this.requestTotal++
  }

  /** Take one retry from the budget; `false` when it is spent. */
  tryRetry (now: number): boolean {
    const slot = this.advance(now)
    if (this.retryTotal >= this.floor + this.ratio * this.requestTotal) return false
    this.retries[slot]++
    this.retryTotal++
    return true
  }

  /** Retries still allowed now (for `/status` and tests). */
  remaining (now: number): number {
    this.advance(now)
    return Math.max(0, Math.floor(this.floor + this.ratio * this.requestTotal - this.retryTotal))
  }

  /** Move the ring forward to `now`, emptying the buckets that fell out of the window. */
  private advance (now: number): number {
    const size = this.requests.length
    const second = Math.floor(now / BUCKET_MS)
    if (second > this.head) {
      const steps = Math.min(second - this.head, size)
      for (let i = 1; i <= steps; i++) {
        const slot = (this.head + i) % size
        this.requestTotal -= this.requests[slot] as number
        this.retryTotal -= this.retries[slot] as number
        this.requests[slot] = 0
        this.retries[slot] = 0
      }
      this.head = second
    }
    return this.head % size
  }
}
