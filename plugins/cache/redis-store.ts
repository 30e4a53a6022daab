/**
 * Cache store in Redis, shared by several gateway instances. Each item is
 * one binary string value (`entry.ts` encoding: meta JSON + raw body bytes)
 * with a PX expiry; variants of a URL are listed in a set next to it, so
 * deleting the URL deletes them. When Redis is down or slow, reads report a
 * miss and writes are dropped: the gateway forwards, it never fails a request
 * because of its cache.
 */
import { Redis } from 'ioredis'
import { decodeItem, encodeItem, type StoredItem } from './entry.js'
import { primaryOf, VARIANT_SEPARATOR } from './key.js'
import type { CacheStore } from './store.js'

export const DEFAULT_REDIS_KEY_PREFIX = 'switchyard:cache:'
/** A cache read slower than this is a miss. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 250
const VARIANTS_SUFFIX = '\u0001variants'

export interface RedisStoreOptions {
  url: string
  /** Prefix of every key this store writes. Default `switchyard:cache:`. */
  keyPrefix?: string
  /** Per-command timeout; a timed-out read is a miss. Default 250 ms. */
  commandTimeoutMs?: number
  /** Called (rate-limited by the caller if needed) when Redis fails. */
  onError?: (err: Error) => void
}

export class RedisStore implements CacheStore {
  readonly kind = 'redis'
  readonly client: Redis
  private readonly prefix: string
  private readonly onError: (err: Error) => void
  private lastErrorAt = 0

  constructor (options: RedisStoreOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX
    const report = options.onError ?? (() => {})
    this.onError = (err) => {
      // One report per second at most: an outage must not flood the logs.
      const now = Date.now()
      if (now - this.lastErrorAt < 1000) return
      this.lastErrorAt = now
      report(err)
    }
    this.client = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * times, 2000),
      lazyConnect: false
    })
    this.client.on('error', this.onError)
  }

  /** Resolve once connected, or after `timeoutMs` (a cache that isn't up yet only means misses). */
  async ready (timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return true
    return await new Promise((resolve) => {
      const timer = setTimeout(() => { this.client.off('ready', onReady); resolve(false) }, timeoutMs)
      const onReady = (): void => { clearTimeout(timer); resolve(true) }
      this.client.once('ready', onReady)
    })
  }

  async get (key: string): Promise<StoredItem | undefined> {
    if (this.client.status !== 'ready') return undefined
    try {
      const value = await this.client.getBuffer(this.prefix + key)
      return value === null ? undefined : decodeItem(value)
    } catch (err) {
      this.onError(err as Error)
      return undefined
    }
  }

  async set (key: string, item: StoredItem, ttlMs: number): Promise<void> {
    if (this.client.status !== 'ready') return
    const ttl = Math.max(1, Math.ceil(ttlMs))
    try {
      const multi = this.client.multi().set(this.prefix + key, encodeItem(item), 'PX', ttl)
      if (key.includes(VARIANT_SEPARATOR)) {
        const index = this.prefix + primaryOf(key) + VARIANTS_SUFFIX
        multi.sadd(index, key).pexpire(index, ttl, 'GT').pexpire(index, ttl, 'NX')
      }
      await multi.exec()
    } catch (err) {
      this.onError(err as Error)
    }
  }

  async delete (primary: string): Promise<number> {
    if (this.client.status !== 'ready') return 0
    try {
      const index = this.prefix + primary + VARIANTS_SUFFIX
      const variants = await this.client.smembers(index)
      const keys = [this.prefix + primary, index, ...variants.map((k) => this.prefix + k)]
      const removed = await this.client.unlink(...keys)
      return Math.max(0, removed - (variants.length > 0 ? 1 : 0))
    } catch (err) {
      this.onError(err as Error)
      return 0
    }
  }

  async purgePrefix (prefix: string): Promise<number> {
    if (this.client.status !== 'ready') return 0
    const pattern = this.prefix + prefix.replace(/[*?[\]\\]/g, '\\$&') + '*'
    let cursor = '0'
    let count = 0
    try {
      do {
        const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
        cursor = next
        const items = keys.filter((k) => !k.endsWith(VARIANTS_SUFFIX))
        if (keys.length > 0) await this.client.unlink(...keys)
        count += items.length
      } while (cursor !== '0')
    } catch (err) {
      this.onError(err as Error)
    }
    return count
  }

  async close (): Promise<void> {
    this.client.off('error', this.onError)
    this.client.on('error', () => {})
    this.client.disconnect()
  }
}
