/**
 * One upstream target of a pool and its live state.
 *
 * Selection (balancers) reads this state; health tracking (active checks,
 * outlier detection, draining) writes the flags; the transport updates the
 * in-flight count and latency. Nothing here knows about Fastify.
 */
import { createHash } from 'node:crypto'

/** Why a target may not be picked, as shown in `/status`. */
export type TargetCondition = 'healthy' | 'unhealthy' | 'ejected' | 'draining'

export interface TargetOptions {
  /** Absolute `http://` or `https://` URL of the target (origin and optional base path), or `tcp://host:port` / `udp://host:port` for L4 pools. */
  url: string
  /** Relative share of traffic; `0` keeps the target out of rotation. Default 1. */
  weight?: number
  /** Stable opaque id (used by sticky cookies and consistent hashing). Default: derived from the URL. */
  id?: string
  /** `Host` sent upstream (`name:port` as a host-name target's URL had it). Default: the URL's host. */
  hostHeader?: string
  /** The configured host name this target is one address of (targets by host name only). */
  hostName?: string
}

/** Default weight of a target that names none. */
export const DEFAULT_TARGET_WEIGHT = 1
/** Smoothing window of the latency EWMA used by `peak-ewma`, in ms. */
export const DEFAULT_EWMA_DECAY_MS = 10_000
/** Share of its picks a target in slow start takes at the very start of its ramp. */
export const MIN_RAMP_SHARE = 0.1

export class Target {
  /** Stable opaque id: never the address itself. */
  readonly id: string
  readonly url: URL
  /** `protocol//host:port` — the key of this target's connection pool (also for `tcp:`/`udp:`, whose `URL.origin` is "null"). */
  readonly origin: string
  /** Relative share of traffic; a config reload may change it in place. */
  weight: number
  /** `Host` header sent upstream: the configured `name:port` for a target by host name, else the URL's host. */
  readonly hostHeader: string
  /** The configured host name this target is one address of; undefined for an address literal. */
  readonly hostName: string | undefined

  /** Requests sent to this target whose response has not finished. */
  inFlight = 0
  /** Requests ever sent (including failed ones). */
  requests = 0
  /** Transport-level failures ever seen (connect errors, resets, timeouts). */
  failures = 0
  /** Upstream responses by status class: index 1–5 for 1xx–5xx. */
  readonly responsesByClass = [0, 0, 0, 0, 0, 0]
  /** Failures in a row since the last good response (passive health). */
  consecutiveFailures = 0

  /** Set by active health checks; `true` until a checker says otherwise. */
  healthy = true
  /** Epoch ms until which outlier detection keeps this target out; 0 when not ejected. */
  ejectedUntil = 0
  /** Times outlier detection ejected this target. */
  ejections = 0
  /** A draining target takes no new requests and finishes the ones it has. */
  draining = false
  /** Why the target is in its current condition, and since when (epoch ms). */
  reason = 'initial'
  since = Date.now()

  /** Epoch ms of the last active health check (0 = none yet), and its result: `ok` or why it failed. */
  lastCheckAt = 0
  lastCheckResult: string | undefined = undefined

  /** Slow start: epoch ms when the ramp ends (0 or past = full share), and its length. */
  rampUntil = 0
  rampMs = 0

  /** Exponentially weighted moving average of response time (ms), for `peak-ewma`. */
  latencyEwmaMs = 0
  private latencyStampMs = 0

  constructor (options: TargetOptions) {
    this.url = new URL(options.url)
    this.origin = `${this.url.protocol}//${this.url.host}`
    this.weight = options.weight ?? DEFAULT_TARGET_WEIGHT
    this.id = options.id ?? deriveTargetId(this.url)
    this.hostHeader = options.hostHeader ?? this.url.host
    this.hostName = options.hostName
  }

  /** `true` when the target may take a new request now. */
  isAvailable (now: number): boolean {
    return this.healthy && !this.draining && this.weight > 0 &&
      (this.ejectedUntil === 0 || this.ejectedUntil <= now)
  }

  /**
   * `true` when a request pinned to this target (sticky session) may still go
   * to it: like `isAvailable`, but a draining target keeps its pinned users.
   */
  mayKeepPinned (now: number, maxInFlight: number): boolean {
    return this.healthy && this.weight > 0 &&
      (this.ejectedUntil === 0 || this.ejectedUntil <= now) &&
      (maxInFlight === 0 || this.inFlight < maxInFlight)
  }

  get condition (): TargetCondition {
    if (this.draining) return 'draining'
    if (this.ejectedUntil > Date.now()) return 'ejected'
    return this.healthy ? 'healthy' : 'unhealthy'
  }

  /** Count one upstream response by its status class. */
  countStatus (statusCode: number): void {
    const statusClass = (statusCode / 100) | 0
    if (statusClass >= 1 && statusClass <= 5) (this.responsesByClass[statusClass] as number)++
  }

  /** Record the time to response headers of one request. */
  recordLatency (ms: number, now: number): void {
    if (this.latencyStampMs === 0) {
      this.latencyEwmaMs = ms
    } else {
      // Peak-EWMA: jump up at once on a slower sample, decay towards faster ones.
      const elapsed = Math.max(now - this.latencyStampMs, 0)
      const w = Math.exp(-elapsed / DEFAULT_EWMA_DECAY_MS)
      this.latencyEwmaMs = ms > this.latencyEwmaMs ? ms : this.latencyEwmaMs * w + ms * (1 - w)
    }
    this.latencyStampMs = now
  }

  /**
   * Slow start: from `from` (epoch ms) for `ms`, take a share of traffic that
   * grows linearly from `MIN_RAMP_SHARE` to all of it. `ms` 0 does nothing.
   */
  startRamp (from: number, ms: number): void {
    if (ms <= 0) return
    this.rampUntil = from + ms
    this.rampMs = ms
  }

  /**
   * During slow start, whether this pick may use the target: `roll` (a number
   * in [0, 1) drawn once per pick) must fall under the ramp's progress.
   */
  rampAdmits (now: number, roll: number): boolean {
    const progress = 1 - (this.rampUntil - now) / this.rampMs
    return roll < (progress > MIN_RAMP_SHARE ? progress : MIN_RAMP_SHARE)
  }

  /** Change the condition fields' reason, noting when. */
  setReason (reason: string): void {
    this.reason = reason
    this.since = Date.now()
  }
}

/** The scheme family of a target URL: one per pool (HTTP routes, TCP or UDP listeners). */
export type TargetFamily = 'http' | 'tcp' | 'udp'

/** `http` for `http:`/`https:`, else `tcp` or `udp`; `undefined` for any other scheme. */
export function targetFamily (url: string): TargetFamily | undefined {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase()
  if (scheme === 'http' || scheme === 'https') return 'http'
  if (scheme === 'tcp' || scheme === 'udp') return scheme
  return undefined
}

/** A short, stable, opaque id for a URL: 12 hex chars of its SHA-256. */
export function deriveTargetId (url: URL): string {
  return createHash('sha256').update(url.href).digest('hex').slice(0, 12)
}
