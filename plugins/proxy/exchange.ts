/**
 * The per-request state of a forwarded request: one typed object on
 * `request.switchyard`, written by each link of the chain in order
 * (route → limits → cache → sticky/balancer → upstream → response filters).
 */
import type { Pool, Target } from '../pools/index.js'
import type { DeferredBody } from './deferred-body.js'
import type { CacheRequestState } from '../cache/state.js'

export class Exchange {
  /** The route's pool. */
  readonly pool: Pool
  /** Route prefix (`/api`), as declared. */
  readonly routePrefix: string
  /** Epoch ms when the request reached the balancer link. */
  readonly startedAt: number
  /** Target currently serving this request (changes on retry). */
  target: Target | undefined = undefined
  /**
   * Target this request is pinned to (set by the sticky link before the
   * balancer). Used when it may serve; otherwise the balancer picks.
   */
  preferred: Target | undefined = undefined
  /** Targets that failed this request, skipped by retries. */
  tried: Set<Target> | undefined = undefined
  /** Retries made so far. */
  retries = 0
  /** The request body as handed to the current attempt (requests with a body only). */
  body: DeferredBody | undefined = undefined
  /** Path sent upstream (after prefix rewriting). */
  upstreamPath = '/'
  /** How the target was chosen, for logs: `balanced`, `sticky`, `retry`, … */
  pickedBy = 'balanced'
  /** Headers the cache link adds to the upstream request (revalidation); `undefined` removes one. */
  upstreamRequestHeaders: Record<string, string | undefined> | undefined = undefined
  /** The backend's response headers after sanitizing, set when a response arrived (read by the cache). */
  upstreamResponseHeaders: Record<string, string | string[] | number | undefined> | undefined = undefined
  /** The cache link's state for this request (plugins/cache); undefined on uncached routes. */
  cache: CacheRequestState | undefined = undefined
  /** What the sticky link found in the request's cookie (`STICKY_*` of plugins/sticky; 0 = none). */
  stickyCookie = 0
  /** Whether the in-flight count of `target` has been released. */
  private released = true

  constructor (pool: Pool, routePrefix: string, startedAt: number) {
    this.pool = pool
    this.routePrefix = routePrefix
    this.startedAt = startedAt
  }

  /** Make `target` the one serving this request, counting it in flight. */
  assign (target: Target): void {
    this.release()
    this.target = target
    target.inFlight++
    target.requests++
    this.released = false
  }

  /** Stop counting this request against its target. Idempotent. */
  release (): void {
    if (this.released) return
    this.released = true
    if (this.target !== undefined) this.target.inFlight--
  }

  /** Note that the current target failed, so retries skip it. */
  markTried (): void {
    if (this.target === undefined) return
    if (this.tried === undefined) this.tried = new Set()
    this.tried.add(this.target)
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Switchyard's state for this request; `null` outside gateway routes. */
    switchyard: Exchange | null
  }
}
