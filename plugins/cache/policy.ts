/**
 * RFC 9111 decisions for a shared cache, framework-free: may a response be
 * stored, for how long is it fresh, may a stored response answer a request,
 * how to revalidate it and how a 304 refreshes it.
 *
 * Storability and the freshness lifetime are worked out once per stored
 * response (so a hit costs no header parsing), from the effective directives:
 * a valid `CDN-Cache-Control` (RFC 9213) or `Surrogate-Control` aimed at us
 * when present, else `Cache-Control` with `Expires`/`Date`/`Last-Modified`.
 * Field parsing is strict where leniency would reuse more than the origin
 * allowed (`fields.ts`). The rest of the plugin sees only this module.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { CachedResponse, StoredHeaders } from './entry.js'
import {
  deltaSeconds, parseAge, parseCacheControl, parseHttpDate, parseSurrogateControl, parseTargetedField, type Directives
} from './fields.js'
import { parseVary } from './key.js'
import { ifNoneMatchHits, weaklyEqual } from '../../lib/entity-tag.js'

export { parseCacheControl, type Directives } from './fields.js'

export interface PolicyOptions {
  /** Fraction of (Date - Last-Modified) used as heuristic freshness. Default 0.1. */
  heuristicFraction: number
  /**
   * Store responses that carry `Set-Cookie`. RFC 9111 allows it (§7.3), but a
   * per-client cookie would then be handed to every client; like nginx, Varnish
   * and the big CDNs we don't, unless a route asks for it. Default false.
   */
  storeSetCookie?: boolean
}

/** The name this cache answers to in `Surrogate-Control` targets (`max-age=60;switchyard`). */
export const SURROGATE_NAME = 'switchyard'

/** Response fields never stored: `Age` and our `Cache-Status` are recomputed on every use. */
const NOT_STORED = ['age', 'cache-status']
/** Fields a 304 must not change on the stored response (RFC 9111 §3.2). */
const NOT_UPDATED_BY_304 = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range', 'cache-status'])
/** Statuses heuristically cacheable (RFC 9110 §15.1). */
const HEURISTIC_STATUSES = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501])
/** Status codes this cache understands (registered in RFC 9110 and friends), for `must-understand`. */
const UNDERSTOOD_STATUSES = new Set([
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
  500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511
])

type Fields = Record<string, string | string[] | number | undefined>

export type Assessment =
  | { storable: true, response: Omit<CachedResponse, 'body'> }
  | { storable: false, reason: string }

export interface RequestFacts {
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** Epoch ms when the request was sent upstream. */
  sentAt: number
}

/**
 * The directives that govern caching here: `CDN-Cache-Control` when valid and
 * non-empty, else the `Surrogate-Control` directives aimed at us, else
 * `Cache-Control` (with `Expires` usable only in that last case).
 */
function effectiveDirectives (headers: Fields): { cc: Directives, useExpires: boolean } {
  const cdn = parseTargetedField(headers['cdn-cache-control'])
  if (cdn !== undefined) return { cc: cdn, useExpires: false }
  const surrogate = parseSurrogateControl(headers['surrogate-control'], SURROGATE_NAME)
  if (surrogate !== undefined) return { cc: surrogate, useExpires: false }
  return { cc: parseCacheControl(headers['cache-control']), useExpires: true }
}

/** Field names listed by a qualified `no-cache="…"`/`private="…"` (not to be reused without revalidation). */
function listedFields (value: string | true | undefined): string[] {
  if (typeof value !== 'string') return []
  return value.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '')
}

/** May this response be stored, and with which freshness facts? */
export function assessResponse (request: RequestFacts, status: number, headers: Fields, now: number, options: PolicyOptions): Assessment {
  if (request.method !== 'GET') return { storable: false, reason: 'method' }
  // Final responses only; partial content and 304s are not stored as such.
  if (status < 200 || status === 206 || status === 304) return { storable: false, reason: `status-${status}` }
  const vary = parseVary(headers.vary)
  if (vary[0] === '*') return { storable: false, reason: 'vary-star' }
  const { cc, useExpires } = effectiveDirectives(headers)
  const understood = UNDERSTOOD_STATUSES.has(status)
  if (cc['must-understand'] !== undefined && !understood) return { storable: false, reason: 'must-understand' }
  // `must-understand` lets a cache that understands the status ignore `no-store` (RFC 9111 §5.2.2.3).
  if (cc['no-store'] !== undefined && cc['must-understand'] === undefined) return { storable: false, reason: 'no-store' }
  // A request's `no-store` forbids storing the response to it (RFC 9111 §5.2.1.5).
  if (request.headers['cache-control'] !== undefined && parseCacheControl(request.headers['cache-control'])['no-store'] !== undefined) {
    return { storable: false, reason: 'no-store' }
  }
  if (cc.private === true) return { storable: false, reason: 'private' }
  if (headers['set-cookie'] !== undefined && options.storeSetCookie !== true) return { storable: false, reason: 'set-cookie' }
  if (request.headers.authorization !== undefined && cc.public === undefined && cc['s-maxage'] === undefined && cc['must-revalidate'] === undefined) {
    return { storable: false, reason: 'authorization' }
  }
  const explicit = cc['s-maxage'] !== undefined || cc['max-age'] !== undefined || (useExpires && headers.expires !== undefined)
  if (!explicit && cc.public === undefined && !HEURISTIC_STATUSES.has(status) && cc['must-understand'] === undefined) {
    return { storable: false, reason: `status-${status}` }
  }

  const omitted = new Set([...NOT_STORED, ...listedFields(cc['no-cache']), ...listedFields(cc.private)])
  const stored: StoredHeaders = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || omitted.has(name)) continue
    stored[name] = typeof value === 'number' ? String(value) : value
  }
  const date = parseHttpDate(single(headers.date), now)
  if (stored.date === undefined || date === undefined) stored.date = new Date(now).toUTCString()
  const dateMs = date ?? now
  const lifetime = freshnessLifetime(cc, useExpires, headers, status, dateMs, now, options)
  const noCache = cc['no-cache'] === true
  return {
    storable: true,
    response: {
      kind: 'response',
      status,
      headers: stored,
      responseTime: now,
      initialAge: initialAge(headers.age, date, request.sentAt, now),
      // Unqualified `no-cache`: stored, but revalidated before every use.
      lifetime: noCache ? 0 : lifetime,
      mustRevalidate: noCache || cc['must-revalidate'] !== undefined || cc['proxy-revalidate'] !== undefined || cc['s-maxage'] !== undefined,
      staleWhileRevalidate: positive(deltaSeconds(cc['stale-while-revalidate'])),
      staleIfError: positive(deltaSeconds(cc['stale-if-error'])),
      etag: single(stored.etag),
      lastModified: single(stored['last-modified']),
      vary
    }
  }
}

/** RFC 9111 §4.2.1 for a shared cache; invalid freshness information counts as stale. */
function freshnessLifetime (cc: Directives, useExpires: boolean, headers: Fields, status: number, dateMs: number, now: number, options: PolicyOptions): number {
  const sMaxage = deltaSeconds(cc['s-maxage'])
  if (sMaxage !== undefined) return positive(sMaxage)
  const maxAge = deltaSeconds(cc['max-age'])
  if (maxAge !== undefined) return positive(maxAge)
  if (useExpires && headers.expires !== undefined) {
    // Several Expires lines, or one that is not an HTTP-date (e.g. "0"), mean "already expired".
    if (Array.isArray(headers.expires) && headers.expires.length > 1) return 0
    const expires = parseHttpDate(single(headers.expires as string | string[]), now)
    return expires === undefined ? 0 : Math.max(0, (expires - dateMs) / 1000)
  }
  if (!HEURISTIC_STATUSES.has(status) && cc.public === undefined) return 0
  const lastModified = parseHttpDate(single(headers['last-modified'] as string | string[] | undefined), now)
  if (lastModified === undefined || lastModified >= dateMs) return 0
  return Math.floor(((dateMs - lastModified) / 1000) * options.heuristicFraction)
}

function positive (value: number | undefined): number {
  return value === undefined || Number.isNaN(value) ? 0 : value
}

function single (value: string | string[] | number | undefined): string | undefined {
  if (typeof value === 'number') return String(value)
  return Array.isArray(value) ? value[0] : value
}

/** RFC 9111 §4.2.3: corrected initial age, in seconds. */
function initialAge (ageHeader: string | string[] | number | undefined, date: number | undefined, sentAt: number, now: number): number {
  const ageValue = parseAge(ageHeader)
  // Date has one-second resolution: compare whole seconds, or every response would arrive up to 1 s old.
  const apparent = date !== undefined ? Math.max(0, Math.floor(now / 1000) - date / 1000) : 0
  const delay = Math.max(0, (now - sentAt) / 1000)
  return Math.max(apparent, ageValue + delay)
}

/** Current age of a stored response, in seconds (fractional). */
export function currentAge (entry: CachedResponse, now: number): number {
  return entry.initialAge + (now - entry.responseTime) / 1000
}

export type Reuse =
  /** Fresh, or stale and acceptable to the client (`max-stale`): answer from the cache. */
  | 'fresh' | 'stale-allowed'
  /** Stale within `stale-while-revalidate`: answer from the cache, refresh in the background. */
  | 'stale-while-revalidate'
  /** Must be revalidated first, because it is stale or because the request says so. */
  | 'revalidate-stale' | 'revalidate-request'

/** RFC 9111 §4 and §5.2.1: may `entry` answer a request with these headers now? */
export function evaluateReuse (entry: CachedResponse, requestCc: Directives | undefined, now: number): Reuse {
  const age = currentAge(entry, now)
  const fresh = age < entry.lifetime
  if (requestCc !== undefined) {
    if (requestCc['no-cache'] !== undefined) return 'revalidate-request'
    const maxAge = requestSeconds(requestCc['max-age'])
    if (maxAge !== undefined && age > maxAge) return fresh ? 'revalidate-request' : 'revalidate-stale'
    const minFresh = requestSeconds(requestCc['min-fresh'])
    if (minFresh !== undefined && entry.lifetime - age < minFresh) return fresh ? 'revalidate-request' : 'revalidate-stale'
  }
  if (fresh) return 'fresh'
  if (entry.mustRevalidate) return 'revalidate-stale'
  if (requestCc !== undefined && requestCc['max-stale'] !== undefined) {
    const maxStale = requestCc['max-stale'] === true ? Infinity : requestSeconds(requestCc['max-stale'])
    if (maxStale !== undefined && age - entry.lifetime <= maxStale) return 'stale-allowed'
  }
  if (entry.staleWhileRevalidate > 0 && age - entry.lifetime < entry.staleWhileRevalidate) return 'stale-while-revalidate'
  return 'revalidate-stale'
}

/** A request directive's delta-seconds, or undefined when absent or malformed (then it is ignored). */
function requestSeconds (value: string | true | undefined): number | undefined {
  const n = deltaSeconds(value)
  return n === undefined || Number.isNaN(n) ? undefined : n
}

/** Request directives, or undefined when the request has none (the common case, parsed for free). */
export function requestDirectives (headers: IncomingHttpHeaders): Directives | undefined {
  const cc = headers['cache-control']
  if (cc !== undefined) return parseCacheControl(cc)
  // RFC 9111 §5.4: Pragma: no-cache counts only when Cache-Control is absent.
  const pragma = headers.pragma
  if (pragma !== undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(pragma)) return { 'no-cache': true }
  return undefined
}

/** May a stale entry answer instead of an error (`stale-if-error`, or the route's default allowance)? */
export function mayServeStaleOnError (entry: CachedResponse, now: number, defaultSeconds: number): boolean {
  if (entry.mustRevalidate) return false
  const allowance = Math.max(entry.staleIfError, defaultSeconds)
  return currentAge(entry, now) - entry.lifetime < allowance
}

/** Conditional headers for revalidating `entry` (RFC 9111 §4.3.1). */
export function revalidationHeaders (entry: CachedResponse): Record<string, string> {
  const out: Record<string, string> = {}
  if (entry.etag !== undefined) out['if-none-match'] = entry.etag
  if (entry.lastModified !== undefined) out['if-modified-since'] = entry.lastModified
  return out
}

/** Whether a 304's validators select `entry` for update (RFC 9111 §4.3.4). */
export function selectsForUpdate (entry: CachedResponse, headers: Record<string, string | string[] | number | undefined>): boolean {
  const etag = typeof headers.etag === 'string' ? headers.etag : undefined
  if (etag !== undefined) return entry.etag !== undefined && weaklyEqual(entry.etag, etag)
  const lm = typeof headers['last-modified'] === 'string' ? headers['last-modified'] : undefined
  if (lm !== undefined) return entry.lastModified === lm
  return true
}

/** The stored response refreshed by a 304 (headers updated, body kept, freshness recomputed). */
export function refreshWith304 (entry: CachedResponse, request: RequestFacts, headers: Record<string, string | string[] | number | undefined>, now: number, options: PolicyOptions): CachedResponse {
  const merged: Record<string, string | string[]> = { ...entry.headers }
  delete merged.age
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || NOT_UPDATED_BY_304.has(name)) continue
    merged[name] = typeof value === 'number' ? String(value) : value
  }
  const assessed = assessResponse(request, entry.status, merged, now, options)
  if (!assessed.storable) {
    // The 304 made it unstorable (e.g. no-store): serve it once, keep nothing fresh.
    return { ...entry, headers: merged, responseTime: now, initialAge: 0, lifetime: 0, mustRevalidate: true }
  }
  return { ...assessed.response, body: entry.body }
}

/** RFC 9110 §13.1.2/§13.1.3: does a client's conditional GET/HEAD match this stored response? */
export function conditionalMatches (entry: CachedResponse, headers: IncomingHttpHeaders): boolean {
  if (entry.status !== 200) return false
  const inm = headers['if-none-match']
  if (inm !== undefined) return ifNoneMatchHits(inm, entry.etag)
  // RFC 9110 §13.1.3: an If-Modified-Since that is not a valid HTTP-date is ignored (`Date.parse` would read "-3000" as the year 3000).
  const since = parseHttpDate(headers['if-modified-since'])
  if (since === undefined) return false
  const modified = parseHttpDate(entry.lastModified ?? single(entry.headers.date))
  return modified !== undefined && modified <= since
}

/** Fields a 304 built from a stored 200 carries (RFC 9110 §15.4.5). */
export const NOT_MODIFIED_FIELDS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified']

/** How long a store should keep an entry, in ms: its useful life plus time to be revalidated. */
export function retentionMs (entry: CachedResponse, now: number, keepStaleMs: number): number {
  const remaining = entry.lifetime - currentAge(entry, now)
  const extra = Math.max(entry.staleWhileRevalidate, entry.staleIfError)
  const useful = Math.max(0, remaining + extra) * 1000
  const validators = entry.etag !== undefined || entry.lastModified !== undefined
  return Math.max(1000, Math.ceil(useful + (validators || !entry.mustRevalidate ? keepStaleMs : 0)))
}

/**
 * The byte span a `Range` header asks of a body of `length` bytes: one
 * satisfiable `bytes=a-b`, `bytes=a-` or `bytes=-n` range (RFC 9110 §14.1.2).
 * Undefined for anything else (several ranges, other units, unsatisfiable):
 * those are left to the origin.
 */
export function byteRange (range: string, length: number): { start: number, end: number } | undefined {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range)
  if (m === null || length === 0) return undefined
  const first = m[1] as string
  const last = m[2] as string
  if (first === '') {
    if (last === '') return undefined
    const suffix = Number(last)
    if (suffix === 0) return undefined
    return { start: Math.max(0, length - suffix), end: length - 1 }
  }
  const start = Number(first)
  if (start >= length) return undefined
  const end = last === '' ? length - 1 : Math.min(Number(last), length - 1)
  return end < start ? undefined : { start, end }
}

/** RFC 9110 §13.1.5: may a range be served for this `If-Range` (a strong ETag, or the exact Last-Modified)? */
export function ifRangeMatches (entry: CachedResponse, ifRange: string | undefined): boolean {
  if (ifRange === undefined) return true
  const value = ifRange.trim()
  if (value.startsWith('"')) return entry.etag !== undefined && !entry.etag.startsWith('W/') && entry.etag === value
  return entry.lastModified !== undefined && entry.lastModified === value
}
