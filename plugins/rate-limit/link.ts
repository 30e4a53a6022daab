/**
 * The rate-limit link (after access control, before the body limit): the
 * route's own limit (`rateLimit`), counted with
 * `@fastify/rate-limit` (memory or Redis). A request over a limit gets 429
 * with `Retry-After`; every limited response carries `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` (the IETF draft names).
 * Reads the client key (`ip`, honouring trusted proxies, or a header);
 * writes response headers and the route's `rateLimited` count.
 */
import type { FastifyInstance } from 'fastify'
import type { Exchange } from '../../lib/exchange.js'
import type { LinkFactory } from '../../lib/link.js'
import { ConfigError } from '../../lib/validate.js'
import { RateLimitedError } from './errors.js'
import type { RateLimitDecision, RateLimiter, RateLimitRule, RateLimits } from './limits.js'

export const createRateLimitLink: LinkFactory = (app: FastifyInstance, route) => {
  const rule = route.declaration.rateLimit as (Omit<RateLimitRule, 'windowMs'> & { windowMs?: number }) | undefined
  const limits = app.hasDecorator('switchyardRateLimits') ? (app as FastifyInstance & { switchyardRateLimits: RateLimits }).switchyardRateLimits : undefined
  if (limits === undefined) {
    if (rule !== undefined) throw new ConfigError(`${route.field}.rateLimit`, 'needs the switchyard-rate-limit plugin registered before the routes')
    return undefined
  }
  // (The global limit is a root hook of the plugin: it also counts requests that match no route.)
  const limiters: RateLimiter[] = []
  if (rule !== undefined) limiters.push(limits.createLimiter({ ...rule, windowMs: rule.windowMs ?? 60_000 }, 'route:' + route.prefix, `${route.field}.rateLimit`))
  if (limiters.length === 0) return undefined

  async function request (exchange: Exchange): Promise<void> {
    let shown: RateLimitDecision | undefined
    for (const limiter of limiters) {
      let decision: RateLimitDecision
      try {
        decision = await limiter(exchange.request)
      } catch (err) {
        // Only a key function could throw here (store errors are skipped): let the request pass.
        exchange.request.log.warn({ err }, 'rate limit not applied')
        continue
      }
      if (decision.isAllowed) continue
      // ttl 0: the store failed (Redis down) and the request passes unlimited: no headers to tell.
      if (decision.ttl > 0) shown = decision
      if (decision.isExceeded) {
        exchange.route.stats.rateLimited++
        exchange.respondError(new RateLimitedError(), [...limitHeaders(decision), 'retry-after', String(Math.max(1, decision.ttlInSeconds))])
        return
      }
    }
    if (shown !== undefined) {
      const headers = limitHeaders(shown)
      for (let i = 0; i < headers.length; i += 2) exchange.addResponseHeader(headers[i] as string, headers[i + 1] as string)
    }
  }
  return { request }
}

function limitHeaders (decision: RateLimitDecision): string[] {
  return ['ratelimit-limit', String(decision.max), 'ratelimit-remaining', String(decision.remaining), 'ratelimit-reset', String(decision.ttlInSeconds)]
}
