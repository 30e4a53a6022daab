/**
 * The shapes the rate-limit plugin (index.ts) and its chain link (link.ts)
 * share: a limit's rule, what a limiter decided, and the decorator
 * (`app.switchyardRateLimits`) that makes limiters. Types only.
 */
import type { FastifyRequest, onRequestHookHandler } from 'fastify'

export interface RateLimitRule {
  /** Requests allowed per window and key. */
  max: number
  /** Window length in ms (fixed window). */
  windowMs: number
  /** What is counted: `ip` (default) or `header:NAME`. */
  key?: string | undefined
}

/** What one limit decided for one request. */
export interface RateLimitDecision {
  isAllowed: boolean
  isExceeded: boolean
  max: number
  remaining: number
  /** ms left in the window; 0 when the store failed (Redis down) and the request passed unlimited. */
  ttl: number
  ttlInSeconds: number
}

/** `(request) => decision` of one limit (`@fastify/rate-limit`'s `createRateLimit`). */
export type RateLimiter = (request: FastifyRequest) => Promise<RateLimitDecision>

export interface RateLimits {
  /** An onRequest hook enforcing `rule`; `scope` separates its counters from other limits (e.g. the route prefix). */
  createHook: (rule: RateLimitRule, scope: string, field?: string) => onRequestHookHandler
  /** The limiter of `rule` (used by the chain's rate-limit link). */
  createLimiter: (rule: RateLimitRule, scope: string, field?: string) => RateLimiter
  /** The app-wide limit (a root onRequest hook: it counts every request of the app, before the routes' chains). */
  readonly global: RateLimiter | undefined
}
