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
 * Redis down → fail open: the request passes unlimited (the plugin's
 * `skipOnError`), the outage is logged once, the client never waits longer
 * than the command timeout.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import fastifyRateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import createError from '@fastify/error'
import type { Redis } from 'ioredis'
import { ConfigError } from '../../lib/validate.js'
import { toErrorBody } from '../proxy/errors.js'
import { compileKey } from './key.js'
import { createRateLimitRedis, waitForReady, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, type RateLimitRedisOptions } from './redis.js'

export const RateLimitedError = createError('SWITCHYARD_RATE_LIMITED', 'Too many requests, retry later', 429)

/** Prefix of the counters' Redis keys. */
export const REDIS_NAMESPACE = 'switchyard-rl:'

export interface RateLimitRule {
  /** Requests allowed per window and key. */
  max: number
  /** Window length in ms (fixed window). */
  windowMs: number
  /** What is counted: `ip` (default) or `header:NAME`. */
  key?: string | undefined
}

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

export interface RateLimits {
  /** An onRequest hook enforcing `rule`; `scope` separates its counters from other limits (e.g. the route prefix). */
  createHook: (rule: RateLimitRule, scope: string, field?: string) => onRequestHookHandler
}

declare module 'fastify' {
  interface FastifyInstance {
    switchyardRateLimits: RateLimits
  }
}

const rateLimitsPlugin: FastifyPluginAsync<RateLimitsOptions> = async (fastify, options) => {
  if (options.global !== undefined) checkRule(options.global, 'global')
  let redis = options.redis
  if (redis === undefined && options.redisUrl !== undefined) {
    const client = createRateLimitRedis(options.redisUrl, fastify.log, options.redisOptions)
    redis = client
    fastify.addHook('onClose', async () => {
      client.removeAllListeners('close')
      client.disconnect()
    })
    const ready = await waitForReady(client, options.redisOptions?.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS)
    if (!ready) fastify.log.warn('rate-limit Redis not reachable at start: requests pass without rate limiting until it is')
  }
  await fastify.register(fastifyRateLimit, {
    global: false,
    skipOnError: true,
    enableDraftSpec: true,
    nameSpace: REDIS_NAMESPACE,
    ...(redis !== undefined ? { redis } : options.store !== undefined ? { store: options.store } : {})
  })

  const limits: RateLimits = {
    createHook: (rule, scope, field = 'rateLimit') => createLimitHook(fastify, checkRule(rule, field), scope, field)
  }
  fastify.decorate('switchyardRateLimits', limits)
  if (options.global !== undefined) fastify.addHook('onRequest', limits.createHook(options.global, 'global', 'global'))
}

function checkRule (rule: RateLimitRule, field: string): RateLimitRule {
  if (!Number.isSafeInteger(rule.max) || rule.max < 1) throw new ConfigError(`${field}.max`, `must be an integer ≥ 1, got ${String(rule.max)}`)
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 1) throw new ConfigError(`${field}.windowMs`, `must be an integer ≥ 1, got ${String(rule.windowMs)}`)
  return rule
}

const RATE_LIMITED_BODY = toErrorBody(new RateLimitedError())

function createLimitHook (fastify: FastifyInstance, rule: RateLimitRule, scope: string, field: string): onRequestHookHandler {
  const keyOf = compileKey(rule.key, `${field}.key`, (ip) => fastifyRateLimit.normalizeIP(ip))
  const prefix = scope + '|'
  const limiter = fastify.createRateLimit({
    max: rule.max,
    timeWindow: rule.windowMs,
    keyGenerator: (request) => prefix + keyOf(request)
  })
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

/**
 * The onRequest hook of a route's own limit, for a `switchyard-proxy` scope.
 * Uses the app's `switchyard-rate-limit` (and so its store) when registered;
 * otherwise registers one in the scope (memory store).
 */
export async function createRouteRateLimitHook (fastify: FastifyInstance, rule: RateLimitRule, scope: string): Promise<onRequestHookHandler> {
  if (!fastify.hasDecorator('switchyardRateLimits')) await fastify.register(rateLimits, {})
  return fastify.switchyardRateLimits.createHook(rule, 'route:' + scope)
}

export { compileKey, type RateLimitKeySpec } from './key.js'
export { createRateLimitRedis, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, type RateLimitRedisOptions } from './redis.js'
