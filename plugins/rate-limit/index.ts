/**
 * `switchyard-rate-limit`: request rate limits with `@fastify/rate-limit`,
 * global (every request of the app) and per route, in memory or in Redis
 * (shared by several gateway instances).
 *
 * Chain position: the "limits" link, an onRequest hook — the global one at
 * the app root, a route's own in its `switchyard-proxy` scope (after path
 * hygiene and IP access control, before the cache and the balancer). Reads
 * `request.ip` (which honours `trustProxy`) or a header; writes only response
 * headers: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (the
 * IETF draft names, as the plugin's `enableDraftSpec` has them) on every
 * limited response, and `Retry-After` with a 429.
 *
 * Redis down or hung → fail open: the request passes unlimited (the plugin's
 * `skipOnError`); after the first timeout the client's circuit breaker
 * (`lib/redis.ts`) fails updates at once until Redis answers again, and the
 * outage is logged once when it starts and once when it ends.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import fastifyRateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import { ConfigError, refuseUnknownOptions } from '../../lib/validate.js'
import { toErrorBody } from '../../lib/errors.js'
import { compileKey } from './key.js'
import { createRateLimitRedis, guardRateLimitRedis, redisCounterStore, waitForReady, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, type RateLimitRedisOptions } from './redis.js'
import { RateLimitedError } from './errors.js'
import type { RateLimitDecision, RateLimiter, RateLimitRule, RateLimits } from './limits.js'

export { RateLimitedError }
export type { RateLimitDecision, RateLimiter, RateLimitRule, RateLimits }

/** Prefix of the counters' Redis keys. */
export const REDIS_NAMESPACE = 'switchyard-rl:'

export interface RateLimitsOptions {
  /** Limit for every request of the app (per client IP by default). Default: none. */
  global?: RateLimitRule | undefined
  /** Redis URL: counters shared by every instance using it. Default: in memory, per instance. */
  redisUrl?: string | undefined
  /** A Redis client of yours instead of `redisUrl` (not closed by us; set it to fail fast, see README). */
  redis?: Redis | undefined
  /** Timeouts of the client made from `redisUrl`. */
  redisOptions?: RateLimitRedisOptions | undefined
  /** A `@fastify/rate-limit` store class, used when no Redis is given (cluster workers count in the primary). Default: memory. */
  store?: FastifyRateLimitStoreCtor | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    switchyardRateLimits: RateLimits
  }
}

const rateLimitsPlugin: FastifyPluginAsync<RateLimitsOptions> = async (fastify, options) => {
  refuseUnknownOptions(options, ['global', 'redisUrl', 'redis', 'redisOptions', 'store'], 'switchyard-rate-limit')
  if (options.global !== undefined) checkRule(options.global, 'global')
  // Not reachable at start: the client's breaker logs it once and requests pass meanwhile.
  const redis = options.redis !== undefined
    ? guardRateLimitRedis(options.redis, fastify.log)
    : options.redisUrl !== undefined ? await createRateLimitRedis(options.redisUrl, fastify.log, options.redisOptions) : undefined
  if (redis !== undefined) {
    fastify.addHook('onClose', async () => { await redis.close() })
    await waitForReady(redis, options.redisOptions?.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS)
  }
  await fastify.register(fastifyRateLimit, {
    global: false,
    skipOnError: true,
    enableDraftSpec: true,
    ...(redis !== undefined ? { store: redisCounterStore(redis, REDIS_NAMESPACE) } : options.store !== undefined ? { store: options.store } : {})
  })

  const createLimiter = (rule: RateLimitRule, scope: string, field = 'rateLimit'): RateLimiter => limiterOf(fastify, checkRule(rule, field), scope, field)
  const global = options.global === undefined ? undefined : createLimiter(options.global, 'global', 'global')
  const limits: RateLimits = {
    createHook: (rule, scope, field = 'rateLimit') => hookOf(createLimiter(rule, scope, field)),
    createLimiter,
    global
  }
  fastify.decorate('switchyardRateLimits', limits)
  // The app-wide limit counts every request, gateway routes and 404s included, before any route's chain.
  if (global !== undefined) fastify.addHook('onRequest', hookOf(global))
}

function checkRule (rule: RateLimitRule, field: string): RateLimitRule {
  if (!Number.isSafeInteger(rule.max) || rule.max < 1) throw new ConfigError(`${field}.max`, `must be an integer ≥ 1, got ${String(rule.max)}`)
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 1) throw new ConfigError(`${field}.windowMs`, `must be an integer ≥ 1, got ${String(rule.windowMs)}`)
  return rule
}

const RATE_LIMITED_BODY = toErrorBody(new RateLimitedError())

function limiterOf (fastify: FastifyInstance, rule: RateLimitRule, scope: string, field: string): RateLimiter {
  const keyOf = compileKey(rule.key, `${field}.key`, (ip) => fastifyRateLimit.normalizeIP(ip))
  const prefix = scope + '|'
  return fastify.createRateLimit({
    max: rule.max,
    timeWindow: rule.windowMs,
    keyGenerator: (request) => prefix + keyOf(request)
  }) as unknown as RateLimiter
}

function hookOf (limiter: RateLimiter): onRequestHookHandler {
  return function rateLimit (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    limiter(request).then((result) => {
      if (result.isAllowed) {
        done()
        return
      }
      // ttl 0: the store failed (Redis down) and the request passes unlimited: no headers to tell.
      if (result.ttl > 0) {
        reply.header('ratelimit-limit', result.max)
          .header('ratelimit-remaining', result.remaining)
          .header('ratelimit-reset', result.ttlInSeconds)
      }
      if (result.isExceeded) {
        reply.code(429).header('retry-after', Math.max(1, result.ttlInSeconds)).type('application/json').send(RATE_LIMITED_BODY)
        return
      }
      done()
    }, (err: unknown) => {
      // Only a key function could throw here (store errors are skipped): let the request pass.
      request.log.warn({ err }, 'rate limit not applied')
      done()
    })
  }
}

/** Register with `app.register(rateLimits, { global: { max: 100, windowMs: 60000 }, redisUrl })`. */
export const rateLimits = fp(rateLimitsPlugin, {
  fastify: '5.x',
  name: 'switchyard-rate-limit'
})
export default rateLimits

/** Register `switchyard-rate-limit` (memory store) on `fastify` unless it is there: a route's own limit needs it. */
export async function ensureRateLimits (fastify: FastifyInstance): Promise<void> {
  if (!fastify.hasDecorator('switchyardRateLimits')) await fastify.register(rateLimits, {})
}

export { createRateLimitLink } from './link.js'
export { compileKey, type RateLimitKeySpec } from './key.js'
export { createRateLimitRedis, redisCounterStore, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, type RateLimitRedisOptions } from './redis.js'
