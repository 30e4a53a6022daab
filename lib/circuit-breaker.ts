/**
 * A circuit breaker for a dependency the gateway can do without (Redis):
 * closed, calls go through; after an outage is seen (`trip`), it is open and
 * callers are told at once to do without, while a background probe runs every
 * `probeIntervalMs` until it succeeds, which closes it again. `onOpen` and
 * `onClose` fire once per outage, so an outage makes two log lines, not one
 * per request. Framework-free; shared by everything in `lib/redis.ts`.
 */

export interface CircuitBreakerOptions {
  /** Resolves when the dependency answers again; rejects (or times out by itself) when it does not. */
  probe: () => Promise<unknown>
  /** Pause between probes while open. */
  probeIntervalMs: number
  /** Called once when the breaker opens, with what tripped it. */
  onOpen?: (reason: Error | undefined) => void
  /** Called once when a probe succeeded and the breaker closed. */
  onClose?: () => void
}

export class CircuitBreaker {
  private readonly options: CircuitBreakerOptions
  private open = false
  private stopped = false
  private probing = false
  private timer: NodeJS.Timeout | undefined

  constructor (options: CircuitBreakerOptions) {
    this.options = options
  }

  /** True while callers must do without the dependency. */
  get isOpen (): boolean { return this.open }

  /** An outage was seen: open (once) and start probing. */
  trip (reason?: Error): void {
    if (this.stopped || this.open) return
    this.open = true
    this.options.onOpen?.(reason)
    this.schedule()
  }

  /** Probe now instead of at the next interval (e.g. the connection is back). */
  probeNow (): void {
    if (!this.open || this.stopped || this.probing) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.runProbe()
  }

  /** No more probes or callbacks (on close). */
  stop (): void {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule (): void {
    if (this.stopped || this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.runProbe()
    }, this.options.probeIntervalMs)
    this.timer.unref()
  }

  private runProbe (): void {
    if (this.probing) return
    this.probing = true
    this.options.probe().then(() => {
      this.probing = false
      if (this.stopped || !this.open) return
      this.open = false
      this.options.onClose?.()
    }, () => {
      this.probing = false
      this.schedule()
    })
  }
}
