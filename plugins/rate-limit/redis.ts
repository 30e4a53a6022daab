/**
 * Shared rate-limit counters in Redis: the store given to
 * `@fastify/rate-limit` (its `store` option), on a client from `lib/redis.ts`
 * (fail fast, one circuit breaker). While Redis is out a counter update fails
 * at once and the limiter lets the request through (fail open); the outage is
 * logged once when it starts and once when Redis is back.
 *
 * Keys: `<namespace><scope>|<client key>`, e.g. `switchyard-rl:global|ip:203.0.113.7`
 * or `switchyard-rl:route:/api|h:KEY` — the scope comes from our key
 * generator, so the store adds nothing of its own (the library's Redis store
 * would add `<method><url>-` of the route, `undefinedundefined-` for limits
 * made with `createRateLimit`).
 */
import type { FastifyBaseLogger } from 'fastify'
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import {
  createRedisClient, GuardedRedis, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, DEFAULT_REDIS_CONNECT_TIMEOUT_MS
} from '../../lib/redis.js'

export { DEFAULT_REDIS_COMMAND_TIMEOUT_MS, DEFAULT_REDIS_CONNECT_TIMEOUT_MS }

export interface RateLimitRedisOptions {
  /** Time to open the connection before an attempt counts as failed. Default 1000 ms. */
  connectTimeoutMs?: number
  /** A counter update waiting longer than this fails (the request passes). Default 250 ms. */
  commandTimeoutMs?: number
}

/** Count one request in a fixed window: the count, and the ms left in the window. */
const INCREMENT_LUA = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`

interface CounterCommands {
  switchyardRateLimit: (key: string, windowMs: number) => Promise<[number, number]>
}

const LOG_WORDS = { whileDown: 'requests pass without rate limiting', whenBack: 'counters are shared again' }

/** A fail-fast rate-limit client for `url` (loads ioredis now). */
export async function createRateLimitRedis (url: string, log: FastifyBaseLogger, options: RateLimitRedisOptions = {}): Promise<GuardedRedis> {
  return await createRedisClient(url, { name: 'rate-limit', log, ...LOG_WORDS, ...options })
}

/** Put a client of yours behind a breaker (it is not closed by us). */
export function guardRateLimitRedis (client: Redis, log: FastifyBaseLogger): GuardedRedis {
  return new GuardedRedis(client, { name: 'rate-limit', log, ...LOG_WORDS, owned: false })
}

/** A `@fastify/rate-limit` store class counting in Redis under `namespace`. */
export function redisCounterStore (redis: GuardedRedis, namespace: string): FastifyRateLimitStoreCtor {
  const client = redis.client as Redis & Partial<CounterCommands>
  if (client.switchyardRateLimit === undefined) client.defineCommand('switchyardRateLimit', { numberOfKeys: 1, lua: INCREMENT_LUA })
  const store: FastifyRateLimitStore = {
    incr (key, callback, timeWindow) {
      redis.run(async (c) => await (c as Redis & CounterCommands).switchyardRateLimit(namespace + key, timeWindow)).then(
        ([current, ttl]) => { callback(null, { current, ttl }) },
        (err: Error) => { callback(err) }
      )
    },
    child () { return store }
  }
  return class RedisCounterStore {
    constructor () { return store }
  } as unknown as FastifyRateLimitStoreCtor
}

/** Resolve when `redis` is ready, or false after `timeoutMs` (it keeps reconnecting in the background). */
export async function waitForReady (redis: GuardedRedis, timeoutMs: number): Promise<boolean> {
  return await redis.ready(timeoutMs)
}
