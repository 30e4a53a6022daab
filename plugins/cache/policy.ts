/**
 * RFC 9111 decisions for a shared cache, framework-free: may a response be
 * stored, for how long is it fresh, may a stored response answer a request,
 * how to revalidate it and how a 304 refreshes it.
 *
 * Storability and the freshness lifetime (s-maxage, max-age, Expires against
 * Date, heuristic from Last-Modified, private, no-store, Authorization) come
 * from `http-cache-semantics`, evaluated once per stored response. Its request
 * evaluation is not used: it refuses fresh `must-revalidate` responses and
 * treats `proxy-revalidate` as "never fresh", both stricter than RFC 9111, and
 * re-parses headers on every hit. Reuse decisions are made here from facts
 * worked out at store time. The rest of the plugin sees only this module.
 */
import type { IncomingHttpHeaders } from 'node:http'
import CachePolicy from 'http-cache-semantics'
import type { CachedResponse, StoredHeaders } from './entry.js'
import { parseVary } from './key.js'

export interface PolicyOptions {
  /** Fraction of (Date - Last-Modified) used as heuristic freshness. Default 0.1. */
  heuristicFraction: number
}

/** Response fields never stored: `Set-Cookie` belongs to one client, `Age` is recomputed. */
const NOT_STORED = ['set-cookie', 'age', 'cache-status']
/** Fields a 304 must not change on the stored response (RFC 9111 §3.2). */
const NOT_UPDATED_BY_304 = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range', 'set-cookie', 'cache-status'])

export type Directives = Record<string, string | true>

/** Parse a Cache-Control field (names lower-cased, quoted values unquoted; the first occurrence wins). */
export function parseCacheControl (value: string | string[] | number | undefined): Directives {
  const out: Directives = {}
  if (value === undefined) return out
  const text = Array.isArray(value) ? value.join(',') : String(value)
  const re = /\s*([^\s=,]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*(?:,|$)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(text)) !== null && m[0] !== '') {
    const name = (m[1] as string).toLowerCase()
    if (name in out) continue
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]
    out[name] = v === undefined || v === '' ? true : v
  }
  return out
}

function seconds (value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d+/.test(value)) return undefined
  return Number.parseInt(value, 10)
}

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

/** May this response be stored, and with which freshness facts? */
export function assessResponse (request: RequestFacts, status: number, headers: Record<string, string | string[] | number | undefined>, now: number, options: PolicyOptions): Assessment {
  if (request.method !== 'GET') return { storable: false, reason: 'method' }
  const vary = parseVary(headers.vary)
  if (vary[0] === '*') return { storable: false, reason: 'vary-star' }
  const stored: StoredHeaders = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || NOT_STORED.includes(name)) continue
    stored[name] = typeof value === 'number' ? String(value) : value
  }
  if (stored.date === undefined) stored.date = new Date(now).toUTCString()
  const cc = parseCacheControl(headers['cache-control'])
  // http-cache-semantics reads `proxy-revalidate` as "lifetime 0"; RFC 9111 makes it must-revalidate for shared caches.
  const forLibrary: Record<string, string> = {}
  for (const name in stored) {
    const value = stored[name] as string | string[]
    forLibrary[name] = Array.isArray(value) ? value.join(', ') : value
  }
  if (cc['proxy-revalidate'] !== undefined && typeof forLibrary['cache-control'] === 'string') {
    forLibrary['cache-control'] = forLibrary['cache-control'].replace(/(^|,)\s*proxy-revalidate\s*(?=,|$)/gi, '$1').replace(/^\s*,|,\s*$/g, '')
  }
  const policy = new CachePolicy(
    { method: 'GET', url: request.url, headers: request.headers as Record<string, string> },
    { status, headers: forLibrary },
    { shared: true, cacheHeuristic: options.heuristicFraction, immutableMinTimeToLive: 0 }
  )
  if (!policy.storable()) return { storable: false, reason: reasonNotStorable(request.headers, status, cc) }
  const lifetime = Math.max(0, policy.maxAge())
  return {
    storable: true,
    response: {
      kind: 'response',
      status,
      headers: stored,
      responseTime: now,
      initialAge: initialAge(headers.age, stored.date, request.sentAt, now),
      lifetime,
      mustRevalidate: cc['must-revalidate'] !== undefined || cc['proxy-revalidate'] !== undefined || cc['s-maxage'] !== undefined,
      staleWhileRevalidate: seconds(cc['stale-while-revalidate']) ?? 0,
      staleIfError: seconds(cc['stale-if-error']) ?? 0,
      etag: single(stored.etag),
      lastModified: single(stored['last-modified']),
      vary
    }
  }
}

function reasonNotStorable (reqHeaders: IncomingHttpHeaders, status: number, cc: Directives): string {
  if (cc['no-store'] !== undefined || parseCacheControl(reqHeaders['cache-control'])['no-store'] !== undefined) return 'no-store'
  if (cc.private !== undefined) return 'private'
  if (reqHeaders.authorization !== undefined) return 'authorization'
  return `status-${status}`
}

function single (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** RFC 9111 §4.2.3: corrected initial age, in seconds. */
function initialAge (ageHeader: string | string[] | number | undefined, dateHeader: string | string[] | undefined, sentAt: number, now: number): number {
  const ageText = Array.isArray(ageHeader) ? ageHeader[0] : ageHeader === undefined ? undefined : String(ageHeader)
  const ageValue = ageText !== undefined && /^\d+$/.test(ageText.trim()) ? Number(ageText) : 0
  const date = Date.parse(single(dateHeader) ?? '')
  // Date has one-second resolution: compare whole seconds, or every response would arrive up to 1 s old.
  const apparent = Number.isFinite(date) ? Math.max(0, Math.floor(now / 1000) - date / 1000) : 0
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
    const maxAge = seconds(requestCc['max-age'])
    if (maxAge !== undefined && age > maxAge) return fresh ? 'revalidate-request' : 'revalidate-stale'
    const minFresh = seconds(requestCc['min-fresh'])
    if (minFresh !== undefined && entry.lifetime - age < minFresh) return fresh ? 'revalidate-request' : 'revalidate-stale'
  }
  if (fresh) return 'fresh'
  if (entry.mustRevalidate) return 'revalidate-stale'
  if (requestCc !== undefined && requestCc['max-stale'] !== undefined) {
    const maxStale = requestCc['max-stale'] === true ? Infinity : seconds(requestCc['max-stale'])
    if (maxStale !== undefined && age - entry.lifetime <= maxStale) return 'stale-allowed'
  }
  if (entry.staleWhileRevalidate > 0 && age - entry.lifetime < entry.staleWhileRevalidate) return 'stale-while-revalidate'
  return 'revalidate-stale'
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
  if (etag !== undefined) return entry.etag !== undefined && stripWeak(entry.etag) === stripWeak(etag)
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

function stripWeak (etag: string): string {
  return etag.startsWith('W/') ? etag.slice(2) : etag
}

/** RFC 9110 §13.1.2/§13.1.3: does a client's conditional GET/HEAD match this stored response? */
export function conditionalMatches (entry: CachedResponse, headers: IncomingHttpHeaders): boolean {
  if (entry.status !== 200) return false
  const inm = headers['if-none-match']
  if (inm !== undefined) {
    if (entry.etag === undefined) return inm.trim() === '*'
    const own = stripWeak(entry.etag)
    for (const tag of inm.split(',')) {
      const t = tag.trim()
      if (t === '*' || stripWeak(t) === own) return true
    }
    return false
  }
  const ims = headers['if-modified-since']
  if (ims === undefined) return false
  const since = Date.parse(ims)
  const modified = Date.parse(entry.lastModified ?? single(entry.headers.date) ?? '')
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since
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
