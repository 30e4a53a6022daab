/**
 * The route table: the gateway's routes as data. Each entry is a compiled
 * route (prefix, pool, methods, its chain of links); `match` finds the
 * longest prefix on whole segments (`/api` matches `/api` and `/api/x`, not
 * `/apix`). `swap` replaces every entry at once, so a reload changes the
 * routes of new requests atomically while requests in flight keep the entry
 * they matched.
 */
import type { ExchangeRoute, RouteStats } from '../lib/exchange.js'

export interface RouteEntry extends ExchangeRoute {
  /** `prefix + '/'` (or `/` for the root route): a path under the prefix starts with it. */
  readonly under: string
  /** Methods forwarded (upper case). */
  readonly methods: ReadonlySet<string>
  /** `Allow` header value of a 405. */
  readonly allow: string
  /** Proxy WebSocket upgrades. */
  readonly websocket: boolean
  readonly stats: RouteStats
  /** Free what the route's links hold (timers) once no request uses it. */
  readonly close: () => void
}

export type { RouteStats }

export function newRouteStats (): RouteStats {
  return { requests: 0, responsesByClass: [0, 0, 0, 0, 0, 0], rateLimited: 0, cacheHits: 0, cacheLookups: 0 }
}

export class RouteTable {
  /** Longest prefix first. */
  private list: readonly RouteEntry[] = []
  /** Bumped on every swap (for /status). */
  version = 0

  get entries (): readonly RouteEntry[] {
    return this.list
  }

  /** The route serving `path` (no query), or undefined. */
  match (path: string): RouteEntry | undefined {
    const list = this.list
    for (let i = 0; i < list.length; i++) {
      const entry = list[i] as RouteEntry
      if (path.startsWith(entry.under) || path === entry.prefix) return entry
    }
    return undefined
  }

  /** Add one route (plugin users' `proxyRoute`); a prefix already present is an error for the caller to name. */
  has (prefix: string): boolean {
    return this.list.some((entry) => entry.prefix === prefix)
  }

  add (entry: RouteEntry): void {
    this.list = sortRoutes([...this.list, entry])
    this.version++
  }

  /** Replace every route at once; returns the entries that left (their owner closes them when idle). */
  swap (entries: readonly RouteEntry[]): readonly RouteEntry[] {
    const old = this.list
    this.list = sortRoutes([...entries])
    this.version++
    return old.filter((entry) => !this.list.includes(entry))
  }
}

function sortRoutes (entries: RouteEntry[]): RouteEntry[] {
  return entries.sort((a, b) => b.prefix.length - a.prefix.length)
}

/** `under` of a prefix: `/api` → `/api/`, `/` → `/`. */
export function underPrefix (prefix: string): string {
  return prefix === '/' ? '/' : prefix + '/'
}
