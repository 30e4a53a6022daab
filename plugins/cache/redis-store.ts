/**
 * Cache store in Redis, shared by several gateway instances. Each item is
 * one binary string value (`entry.ts` encoding: meta JSON + raw body bytes)
 * with a PX expiry; variants of a URL are listed in a set next to it, so
 * deleting the URL deletes them. When Redis is down or slow, reads report a
 * miss and writes are dropped: the gateway forwards, it never fails a request
 * because of its cache. The client comes from `lib/redis.ts`: after the first
 * timeout its circuit breaker skips Redis at once (no wait per request) until
 * a background probe succeeds, and an outage is logged once, then once on
 * recovery.
 */
import type { Redis } from 'ioredis'
import { createRedisClient, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, type GuardedRedis, type RedisLogger } from '../../lib/redis.js'
import { decodeItem, encodeItem, type StoredItem } from './entry.js'
import { primaryOf, VARIANT_SEPARATOR } from './key.js'
import type { CacheStore } from './store.js'

export const DEFAULT_REDIS_KEY_PREFIX = 'switchyard:cache:'
export { DEFAULT_REDIS_COMMAND_TIMEOUT_MS }
const VARIANTS_SUFFIX = '\u0001variants'

export interface RedisStoreOptions {
  url: string
  /** Where the outage and recovery lines go. */
  log: RedisLogger
  /** Prefix of every key this store writes. Default `switchyard:cache:`. */
  keyPrefix?: string
  /** Per-command timeout; a timed-out read is a miss (and Redis is skipped until it answers). Default 250 ms. */
  commandTimeoutMs?: number
}

export class RedisStore implements CacheStore {
  readonly kind = 'redis'
  readonly redis: GuardedRedis
  private readonly prefix: string

  /** Connect to `options.url` (loads ioredis) and make the store. */
  static async connect (options: RedisStoreOptions): Promise<RedisStore> {
    const redis = await createRedisClient(options.url, {
      name: 'cache',
      log: options.log,
      whileDown: 'forwarding without cache',
      whenBack: 'caching again',
      ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
      connectTimeoutMs: 2000
    })
    return new RedisStore(redis, options.keyPrefix)
  }

  /** A store on a guarded client (closed with the store). */
  constructor (redis: GuardedRedis, keyPrefix = DEFAULT_REDIS_KEY_PREFIX) {
    this.redis = redis
    this.prefix = keyPrefix
  }

  /** The ioredis client. */
  get client (): Redis { return this.redis.client }

  /** Resolve once connected, or after `timeoutMs` (a cache that isn't up yet only means misses). */
  async ready (timeoutMs: number): Promise<boolean> {
    return await this.redis.ready(timeoutMs)
  }

  async get (key: string): Promise<StoredItem | undefined> {
    if (!this.redis.available) return undefined
    try {
      const value = await this.redis.run(async (client) => await client.getBuffer(this.prefix + key))
      return value === null ? undefined : decodeItem(value)
    } catch {
      return undefined
    }
  }

  async set (key: string, item: StoredItem, ttlMs: number): Promise<void> {
    if (!this.redis.available) return
    const ttl = Math.max(1, Math.ceil(ttlMs))
    try {
      await this.redis.run(async (client) => {
        const multi = client.multi().set(this.prefix + key, encodeItem(item), 'PX', ttl)
        if (key.includes(VARIANT_SEPARATOR)) {
          const index = this.prefix + primaryOf(key) + VARIANTS_SUFFIX
          multi.sadd(index, key).pexpire(index, ttl, 'GT').pexpire(index, ttl, 'NX')
        }
        await multi.exec()
      })
    } catch {
      // dropped: the next request forwards again
    }
  }

  async delete (primary: string): Promise<number> {
    if (!this.redis.available) return 0
    try {
      const index = this.prefix + primary + VARIANTS_SUFFIX
      const variants = await this.redis.run(async (client) => await client.smembers(index))
      const keys = [this.prefix + primary, index, ...variants.map((k) => this.prefix + k)]
      const removed = await this.redis.run(async (client) => await client.unlink(...keys))
      return Math.max(0, removed - (variants.length > 0 ? 1 : 0))
    } catch {
      return 0
    }
  }

  async purgePrefix (prefix: string): Promise<number> {
    if (!this.redis.available) return 0
    const pattern = this.prefix + prefix.replace(/[*?[\]\\]/g, '\\$&') + '*'
    let cursor = '0'
    let count = 0
    try {
      do {
        const from = cursor
        const [next, keys] = await this.redis.run(async (client) => await client.scan(from, 'MATCH', pattern, 'COUNT', 500))
        cursor = next
        const items = keys.filter((k) => !k.endsWith(VARIANTS_SUFFIX))
        if (keys.length > 0) await this.redis.run(async (client) => await client.unlink(...keys))
        count += items.length
      } while (cursor !== '0')
    } catch {
      // Redis went out meanwhile: what was unlinked so far is counted
    }
    return count
  }

  async close (): Promise<void> {
    await this.redis.close()
  }
}
