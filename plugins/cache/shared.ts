/**
 * What all cached routes of an app share: the store, the coalescer, the
 * background refreshes in flight, and the route defaults. Created once by
 * the `switchyard-cache` plugin and decorated as `fastify.switchyard.cache`.
 */
import { randomBytes } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { Coalescer } from './coalescer.js'
import type { CacheStore } from './store.js'

export const DEFAULT_MAX_OBJECT_BYTES = 8 * 1024 * 1024
export const DEFAULT_COALESCE_WAIT_MS = 5000
export const DEFAULT_HEURISTIC_FRACTION = 0.1
/** How long an entry is kept past its useful life, to be revalidated (or served on error) instead of refetched. */
export const KEEP_STALE_MS = 60 * 60 * 1000

/** A route's `cache: { … }` (all optional; `cache: true` takes the defaults). */
export const RouteCacheOptionsSchema = Type.Object({
  maxObjectBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest response body stored; larger ones stream through uncached. Default 8 MiB (at most a quarter of GATEWAY_CACHE_MAX_BYTES).' })),
  coalesceWaitMs: Type.Optional(Type.Integer({ minimum: 0, description: 'How long a miss waits for a concurrent identical miss before going upstream itself. Default 5000; 0 disables coalescing.' })),
  staleIfErrorSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'Serve a stale entry this long past its freshness when the backend fails, even without stale-if-error (never for must-revalidate). Default 0.' })),
  heuristicFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Heuristic freshness as a fraction of (Date - Last-Modified). Default 0.1.' })),
  storeSetCookie: Type.Optional(Type.Boolean({ description: 'Store responses that carry Set-Cookie (RFC 9111 allows it; the cookie then goes to every client). Default false.' }))
}, { additionalProperties: false })

export type RouteCacheOptions = Static<typeof RouteCacheOptionsSchema>

/** A route's cache settings with defaults filled in. */
export interface RouteCacheConfig {
  maxObjectBytes: number
  coalesceWaitMs: number
  staleIfErrorSeconds: number
  heuristicFraction: number
  storeSetCookie: boolean
}

export class SharedCache {
  readonly store: CacheStore
  readonly coalescer = new Coalescer()
  /** Primary keys with a background refresh in flight. */
  readonly refreshing = new Set<string>()
  /** Marks the cache's own background refresh requests (random per start). */
  readonly refreshSecret = randomBytes(16).toString('hex')
  /** Cache every route that does not say `cache: false`. */
  readonly allRoutes: boolean
  readonly defaults: RouteCacheConfig

  constructor (store: CacheStore, allRoutes: boolean, maxBytes: number) {
    this.store = store
    this.allRoutes = allRoutes
    this.defaults = {
      maxObjectBytes: Math.max(1, Math.min(DEFAULT_MAX_OBJECT_BYTES, Math.floor(maxBytes / 4))),
      coalesceWaitMs: DEFAULT_COALESCE_WAIT_MS,
      staleIfErrorSeconds: 0,
      heuristicFraction: DEFAULT_HEURISTIC_FRACTION,
      storeSetCookie: false
    }
  }

  /** The settings of a route declaring `cache`, or undefined when the route is not cached. */
  routeConfig (option: boolean | RouteCacheOptions | undefined): RouteCacheConfig | undefined {
    if (option === false) return undefined
    if (option === undefined) return this.allRoutes ? this.defaults : undefined
    if (option === true) return this.defaults
    return { ...this.defaults, ...option }
  }

  async close (): Promise<void> {
    this.coalescer.clear()
    await this.store.close()
  }
}
