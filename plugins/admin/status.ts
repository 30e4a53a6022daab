/**
 * The `/status` document: pools, targets and their live state. Addresses
 * appear here only — the admin listener is loopback and token-protected.
 * Also rendered as HTML by the status page (`page.ts`).
 */
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ifNoneMatchHits } from '../../lib/entity-tag.js'
import type { PoolRegistry, Target } from '../pools/index.js'
import type { StickyCounters } from '../pools/pool.js'
import type { L4ListenerStatus, L4StatusSource } from '../../lib/l4-status.js'

export interface TargetStatus {
  id: string
  url: string
  /** `Host` sent upstream (the configured `name:port` for a target by host name). */
  host: string
  /** The configured host name this target is one address of; null for an address literal. */
  hostName: string | null
  weight: number
  condition: string
  reason: string
  since: string
  /** Active checks say the target answers (true until a checker says otherwise). */
  healthy: boolean
  /** Out by outlier detection until this time (ISO), or null. */
  ejectedUntil: string | null
  /** Times outlier detection ejected the target. */
  ejections: number
  draining: boolean
  /** Transport failures (and 5xx with `outlier.on5xx`) since the last good response. */
  consecutiveFailures: number
  inFlight: number
  requests: number
  failures: number
  /** Upstream responses by status class. */
  responses: { '1xx': number, '2xx': number, '3xx': number, '4xx': number, '5xx': number }
  latencyEwmaMs: number
  /** Last active health check (ISO) and its result (`ok` or why it failed); null without checks. */
  lastCheckAt: string | null
  lastCheckResult: string | null
}

export interface HostStatus {
  /** The configured host name. */
  hostname: string
  /** Its last good addresses (kept while lookups fail). */
  addresses: readonly string[]
  resolvedAt: string | null
  /** Error of the last lookup when it failed, else null. */
  error: string | null
}

export interface PoolStatus {
  name: string
  balancer: string
  targets: TargetStatus[]
  /** Host-name targets and what they resolve to (pools that have some). */
  hosts?: HostStatus[]
  /** Sticky-session counters (pools with `sticky` only). */
  sticky?: StickyCounters & { cookie: string }
}

export function describeTarget (target: Target): TargetStatus {
  const byClass = target.responsesByClass
  return {
    id: target.id,
    url: target.origin,
    host: target.hostHeader,
    hostName: target.hostName ?? null,
    weight: target.weight,
    condition: target.condition,
    reason: target.reason,
    since: new Date(target.since).toISOString(),
    healthy: target.healthy,
    ejectedUntil: target.ejectedUntil > Date.now() ? new Date(target.ejectedUntil).toISOString() : null,
    ejections: target.ejections,
    draining: target.draining,
    consecutiveFailures: target.consecutiveFailures,
    inFlight: target.inFlight,
    requests: target.requests,
    failures: target.failures,
    responses: { '1xx': byClass[1] ?? 0, '2xx': byClass[2] ?? 0, '3xx': byClass[3] ?? 0, '4xx': byClass[4] ?? 0, '5xx': byClass[5] ?? 0 },
    latencyEwmaMs: Math.round(target.latencyEwmaMs * 10) / 10,
    lastCheckAt: target.lastCheckAt > 0 ? new Date(target.lastCheckAt).toISOString() : null,
    lastCheckResult: target.lastCheckResult ?? null
  }
}

export function describePools (registry: PoolRegistry): { pools: PoolStatus[] } {
  const pools: PoolStatus[] = []
  for (const pool of registry) {
    const status: PoolStatus = { name: pool.name, balancer: pool.balancer.name, targets: pool.targets.map(describeTarget) }
    const hosts = pool.hosts
    if (hosts.length > 0) {
      status.hosts = hosts.map((h) => ({
        hostname: h.hostname,
        addresses: [...h.addresses],
        resolvedAt: h.resolvedAt > 0 ? new Date(h.resolvedAt).toISOString() : null,
        error: h.error ?? null
      }))
    }
    if (pool.config.sticky !== undefined) status.sticky = { cookie: pool.config.sticky.cookie, ...pool.stickyCounters }
    pools.push(status)
  }
  return { pools }
}

/** A gateway route as `/status` shows it. */
export interface RouteStatus {
  prefix: string
  pool: string
  requests: number
  /** Responses by status class: `2xx`… */
  responses: Record<string, number>
  rateLimited: number
  cacheHits: number
  cacheLookups: number
  /** Hits / lookups, or null on uncached routes. */
  cacheHitRatio: number | null
}

/** What `/status` needs of the route table (`fastify.switchyard.routes.table`). */
export interface RouteStatusSource {
  readonly version: number
  readonly entries: ReadonlyArray<{
    readonly prefix: string
    readonly pool: { readonly name: string }
    readonly stats: { requests: number, responsesByClass: readonly number[], rateLimited: number, cacheHits: number, cacheLookups: number }
  }>
}

export function describeRoutes (table: RouteStatusSource): RouteStatus[] {
  return table.entries.map((entry) => {
    const stats = entry.stats
    const responses: Record<string, number> = {}
    for (let c = 1; c <= 5; c++) responses[`${c}xx`] = stats.responsesByClass[c] ?? 0
    return {
      prefix: entry.prefix,
      pool: entry.pool.name,
      requests: stats.requests,
      responses,
      rateLimited: stats.rateLimited,
      cacheHits: stats.cacheHits,
      cacheLookups: stats.cacheLookups,
      cacheHitRatio: cacheHitRatio(stats.cacheHits, stats.cacheLookups)
    }
  })
}

/** The `l4` section of `/status`: every TCP/UDP listener with its per-target counters (absent without L4 listeners). */
export function describeL4 (source: L4StatusSource | undefined): { l4?: L4ListenerStatus[] } {
  return source === undefined ? {} : { l4: source() }
}

/** A route's cache hit ratio as `/status` gives it: three decimals, null before its first lookup. */
export function cacheHitRatio (hits: number, lookups: number): number | null {
  return lookups === 0 ? null : Math.round((hits / lookups) * 1000) / 1000
}

/** The ETag of a `/status` body: polling with `If-None-Match` gets a 304 while nothing changed. */
export function statusEtag (body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`
}

/** Answer `/status` with `body` (JSON) and its ETag, or 304 to a poll that already has it; both admin listeners (one process, cluster primary). */
export async function sendStatus (request: FastifyRequest, reply: FastifyReply, body: string): Promise<FastifyReply> {
  const etag = statusEtag(body)
  reply.header('etag', etag).header('cache-control', 'no-cache')
  const ifNoneMatch = request.headers['if-none-match']
  if (ifNoneMatch !== undefined && ifNoneMatchHits(ifNoneMatch, etag)) return await reply.code(304).send()
  return await reply.type('application/json; charset=utf-8').send(body)
}
