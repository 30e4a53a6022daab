/**
 * `switchyard-cache`: the shared response cache (RFC 9111) of the gateway.
 *
 * - `responseCache` (app level, once): creates the store (memory LRU bounded
 *   in bytes, or Redis shared by instances) and decorates
 *   `fastify.switchyard.cache`; closes it on close.
 * - `installRouteCache(scope, option)`: called by each `switchyard-proxy`
 *   route scope; adds the cache link (preHandler + onSend) when the route is
 *   cached. Chain: route → limits → cache → balancer → upstream.
 * - `cachePurge` (after `switchyard-admin`): `DELETE /cache?url=…|prefix=…`
 *   on the admin listener.
 */
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { ConfigError } from '../../lib/validate.js'
import { primaryKeyOfUrl } from './key.js'
import { MemoryStore, DEFAULT_CACHE_MAX_BYTES } from './memory-store.js'
import { RedisStore } from './redis-store.js'
import { SharedCache } from './shared.js'
import type { CacheStore } from './store.js'

export interface ResponseCacheOptions {
  /** `memory` (default) or `redis`. */
  store?: 'memory' | 'redis'
  /** Memory store bound in bytes. Default 64 MiB. */
  maxBytes?: number
  /** Redis URL (`redis://…`), required with `store: 'redis'`. */
  redisUrl?: string
  /** Cache every route that doesn't declare `cache: false` (GATEWAY_CACHE). Default false: only routes with `cache`. */
  allRoutes?: boolean
  /** Bring your own store (wins over `store`). */
  customStore?: CacheStore
}

declare module '../pools/index.js' {
  interface SwitchyardInstance {
    /** The shared response cache, when `switchyard-cache` is registered. */
    cache?: SharedCache
  }
}

/** Time the app waits at start for Redis before serving (misses meanwhile). */
const REDIS_READY_WAIT_MS = 2000

const responseCachePlugin: FastifyPluginAsync<ResponseCacheOptions> = async (fastify, options) => {
  if (!fastify.hasDecorator('switchyard')) throw new ConfigError('cache', 'needs the switchyard-pools plugin registered first')
  const maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) throw new ConfigError('maxBytes', `must be an integer of at least 1024 bytes, got ${String(options.maxBytes)}`)
  const kind = options.store ?? 'memory'
  let store: CacheStore
  if (options.customStore !== undefined) {
    store = options.customStore
  } else if (kind === 'redis') {
    if (typeof options.redisUrl !== 'string' || !/^rediss?:\/\//.test(options.redisUrl)) {
      throw new ConfigError('redisUrl', `must be a redis:// URL when store is "redis", got ${JSON.stringify(options.redisUrl)}`)
    }
    store = new RedisStore({ url: options.redisUrl, onError: (err) => { fastify.log.warn({ err: err.message }, 'cache: redis unavailable, forwarding without cache') } })
  } else if (kind === 'memory') {
    store = new MemoryStore(maxBytes)
  } else {
    throw new ConfigError('store', `must be "memory" or "redis", got ${JSON.stringify(kind)}`)
  }
  const shared = new SharedCache(store, options.allRoutes ?? false, maxBytes)
  fastify.switchyard.cache = shared
  if (store instanceof RedisStore) {
    fastify.addHook('onReady', async () => {
      if (!await store.ready(REDIS_READY_WAIT_MS)) fastify.log.warn('cache: redis not reachable yet; requests are forwarded until it is')
    })
  }
  fastify.addHook('onClose', async () => { await shared.close() })
}

export const responseCache = fp(responseCachePlugin, {
  fastify: '5.x',
  name: 'switchyard-cache',
  dependencies: ['switchyard-pools']
})
export default responseCache

const cachePurgePlugin: FastifyPluginAsync = async (fastify) => {
  const shared = fastify.switchyard.cache
  if (shared === undefined) return
  fastify.switchyardAdmin.delete('/cache', async (request, reply) => {
    const query = request.query as { url?: unknown, prefix?: unknown }
    if (typeof query.url === 'string') {
      const key = primaryKeyOfUrl(query.url)
      if (key === undefined) return await reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'url must be an absolute http(s) URL' })
      return { purged: await shared.store.delete(key) }
    }
    if (typeof query.prefix === 'string' && query.prefix !== '') {
      const key = primaryKeyOfUrl(query.prefix)
      if (key === undefined) return await reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'prefix must be an absolute http(s) URL prefix' })
      // `new URL` adds a "/" to a bare origin; keep the prefix as given otherwise.
      const prefix = query.prefix.endsWith('/') || key.endsWith('/') === query.prefix.endsWith('/') ? key : key.slice(0, -1)
      return { purged: await shared.store.purgePrefix(prefix) }
    }
    return await reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'give url=<absolute URL> or prefix=<absolute URL prefix>' })
  })
}

/** `DELETE /cache?url=…` / `?prefix=…` on the admin listener (token-protected like the rest of it). */
export const cachePurge = fp(cachePurgePlugin, {
  fastify: '5.x',
  name: 'switchyard-cache-purge',
  dependencies: ['switchyard-cache', 'switchyard-admin']
})

export { SharedCache, RouteCacheOptionsSchema, type RouteCacheOptions, type RouteCacheConfig } from './shared.js'
export { MemoryStore, DEFAULT_CACHE_MAX_BYTES } from './memory-store.js'
export { RedisStore } from './redis-store.js'
export type { CacheStore } from './store.js'
export type { CachedResponse, StoredItem } from './entry.js'
