/**
 * The cache link of the chain (after the exchange, before sticky and the
 * balancer), in two halves:
 *
 * - request: answers hits (and single byte ranges of fresh entries), serves
 *   stale while revalidating in the background, makes concurrent misses wait
 *   for one upstream request (coalescing) and asks for revalidation with
 *   conditional headers (`exchange.setUpstreamHeader`).
 * - response: stores forwarded responses while they stream to the client (a
 *   body stage that keeps a copy), refreshes entries with 304s, serves stale
 *   on errors (the upstream's, or the gateway's own 502/503/504), invalidates
 *   after unsafe methods, and sets `Cache-Status` (RFC 9211).
 *
 * The background refresh of stale-while-revalidate goes upstream directly
 * (`RouteFacts.fetchUpstream`) with the original request's peer and its
 * already-rewritten upstream headers: never a loopback re-entry, so a
 * client's `X-Forwarded-*` can't be trusted into a shared entry.
 *
 * State per request: a `CacheRequestState` in the link's slot. Interim
 * (1xx) responses never reach this link, so they are never stored.
 */
import { Transform, Writable } from 'node:stream'
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { getHeader, setHeader, type BodyStage, type Exchange } from '../../lib/exchange.js'
import type { Link, LinkFactory, UpstreamFetch } from '../../lib/link.js'
import { ConfigError, validateWithSchema } from '../../lib/validate.js'
import { appendCacheStatus, formatCacheStatus, type CacheStatusParams } from './cache-status.js'
import type { CachedResponse, StoredHeaders } from './entry.js'
import { primaryKey, primaryKeyOfUrl, secondaryKey, variantKey } from './key.js'
import {
  assessResponse, byteRange, conditionalMatches, currentAge, evaluateReuse, ifRangeMatches, mayServeStaleOnError, NOT_MODIFIED_FIELDS,
  refreshWith304, requestDirectives, retentionMs, revalidationHeaders, selectsForUpdate, type RequestFacts
} from './policy.js'
import { BodyRecorder } from './recorder.js'
import { KEEP_STALE_MS, RouteCacheOptionsSchema, type RouteCacheConfig, type RouteCacheOptions, type SharedCache } from './shared.js'
import { CacheRequestState } from './state.js'

const ERROR_STATUSES = new Set([500, 502, 503, 504])
/** Request fields a background refresh does not send (the cache asks its own conditionals). */
const NOT_REFRESHED = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range', 'cache-control', 'pragma']
const NOT_CACHED_BODY = Buffer.from(JSON.stringify({ statusCode: 504, code: 'SWITCHYARD_NOT_CACHED', error: 'Gateway Timeout', message: 'The response is not in the cache (only-if-cached)' }))

type Fields = Record<string, string | string[]>

interface Found {
  entry: CachedResponse | undefined
  storeKey: string
  varyMiss: boolean
}

/** The chain's factory: a cache link on routes the cache serves (`cache` option, or `allRoutes`). */
export const createCacheLink: LinkFactory = (app: FastifyInstance, route) => {
  const option = route.declaration.cache as boolean | RouteCacheOptions | undefined
  if (option === false) return undefined
  const shared = app.hasDecorator('switchyard') ? app.switchyard.cache : undefined
  if (shared === undefined) {
    if (option === undefined) return undefined
    throw new ConfigError(`${route.field}.cache`, 'needs the switchyard-cache plugin registered before the routes')
  }
  const routeOption = typeof option === 'object' ? validateWithSchema(RouteCacheOptionsSchema, { ...option }, `${route.field}.cache`) : option
  const config = shared.routeConfig(routeOption)
  if (config === undefined) return undefined
  return cacheLink(shared, config, route.allocateSlot(), route.fetchUpstream)
}

export function cacheLink (shared: SharedCache, config: RouteCacheConfig, slot: number, fetchUpstream: (exchange: Exchange, overrides: Array<string | undefined>, maxBodyBytes?: number) => Promise<UpstreamFetch>): Link {
  const { store, coalescer } = shared
  const stateOf = (exchange: Exchange): CacheRequestState | undefined => (exchange.slots as unknown[])[slot] as CacheRequestState | undefined
  const setState = (exchange: Exchange, state: CacheRequestState): CacheRequestState => {
    (exchange.slots as unknown[])[slot] = state
    return state
  }

  async function lookup (key: string, headers: IncomingHttpHeaders): Promise<Found> {
    const item = await store.get(key)
    if (item === undefined) return { entry: undefined, storeKey: key, varyMiss: false }
    if (item.kind === 'response') return { entry: item, storeKey: key, varyMiss: false }
    const storeKey = variantKey(key, secondaryKey(item.names, headers))
    const variant = await store.get(storeKey)
    return variant?.kind === 'response' ? { entry: variant, storeKey, varyMiss: false } : { entry: undefined, storeKey, varyMiss: true }
  }

  async function request (exchange: Exchange): Promise<void> {
    const method = exchange.method
    if (method !== 'GET' && method !== 'HEAD') {
      setState(exchange, new CacheRequestState(method === 'OPTIONS' || method === 'TRACE' ? 'bypass' : 'invalidate', 'method', ''))
      return
    }
    const headers = exchange.headers
    if (headers.upgrade !== undefined) {
      setState(exchange, new CacheRequestState('bypass', 'bypass', ''))
      return
    }
    const stats = exchange.route.stats
    stats.cacheLookups++
    const key = primaryKey(exchange.request.protocol, exchange.request.host, exchange.url)
    if (headers.range !== undefined) {
      // A single byte range of a fresh stored 200 is answered from it (RFC 9111 §3.4, RFC 9110 §14); anything else is forwarded untouched.
      if (await servedRange(exchange, key, headers.range)) stats.cacheHits++
      else setState(exchange, new CacheRequestState('bypass', 'bypass', ''))
      return
    }
    const state = setState(exchange, new CacheRequestState('forward', 'miss', key))
    const requestCc = requestDirectives(headers)
    const found = await lookup(key, headers)
    const now = Date.now()

    if (found.entry !== undefined) {
      const entry = found.entry
      const reuse = evaluateReuse(entry, requestCc, now)
      if (reuse === 'fresh' || reuse === 'stale-allowed') {
        stats.cacheHits++
        serve(exchange, state, entry, now, { hit: true, ...(reuse === 'stale-allowed' ? { detail: 'max-stale' } : {}) })
        return
      }
      if (reuse === 'stale-while-revalidate') {
        stats.cacheHits++
        serve(exchange, state, entry, now, { hit: true, detail: 'stale-while-revalidate' })
        refreshInBackground(exchange, key, found.storeKey, entry)
        return
      }
      if (requestCc?.['only-if-cached'] !== undefined) { notCached(exchange, state); return }
      state.stale = entry
      state.staleKey = found.storeKey
      state.fwd = reuse === 'revalidate-request' ? 'request' : 'stale'
      const conditional = revalidationHeaders(entry)
      for (const name in conditional) exchange.setUpstreamHeader(name, conditional[name])
      if (reuse === 'revalidate-stale' && method === 'GET') await coalesce(exchange, state, requestCc)
      return
    }
    if (requestCc?.['only-if-cached'] !== undefined) { notCached(exchange, state); return }
    state.fwd = found.varyMiss ? 'vary-miss' : 'miss'
    if (method === 'GET' && requestCc?.['no-cache'] === undefined) await coalesce(exchange, state, requestCc)
  }

  /**
   * Coalescing: the first request for a key goes upstream; the others wait for
   * it (at most `coalesceWaitMs`), then answer from what it stored or go upstream.
   */
  async function coalesce (exchange: Exchange, state: CacheRequestState, requestCc: ReturnType<typeof requestDirectives>): Promise<void> {
    const key = state.key
    if (config.coalesceWaitMs === 0) return
    const release = coalescer.lead(key)
    if (release !== undefined) {
      state.release = release
      exchange.res.once('close', () => { if (!state.settling) state.finish() })
      return
    }
    await coalescer.wait(key, config.coalesceWaitMs)
    const again = await lookup(key, exchange.headers)
    if (again.entry !== undefined) {
      const now = Date.now()
      const reuse = evaluateReuse(again.entry, requestCc, now)
      if (reuse === 'fresh' || reuse === 'stale-allowed') {
        exchange.route.stats.cacheHits++
        serve(exchange, state, again.entry, now, { fwd: state.fwd, collapsed: true })
      }
    }
  }

  /** Answer a Range request from a fresh stored complete response; false when it can't be. */
  async function servedRange (exchange: Exchange, key: string, range: string): Promise<boolean> {
    const found = await lookup(key, exchange.headers)
    const entry = found.entry
    if (entry === undefined || entry.status !== 200) return false
    const now = Date.now()
    const reuse = evaluateReuse(entry, requestDirectives(exchange.headers), now)
    if (reuse !== 'fresh' && reuse !== 'stale-allowed') return false
    const span = byteRange(range, entry.body.length)
    const ifRange = exchange.headers['if-range']
    if (span === undefined || !ifRangeMatches(entry, Array.isArray(ifRange) ? ifRange[0] : ifRange)) return false
    setState(exchange, new CacheRequestState('served', 'miss', ''))
    const age = currentAge(entry, now)
    const headers = flatHeaders(entry.headers)
    setHeader(headers, 'content-range', `bytes ${span.start}-${span.end}/${entry.body.length}`)
    setHeader(headers, 'age', String(Math.floor(age)))
    setHeader(headers, 'cache-status', formatCacheStatus({ hit: true, ttl: entry.lifetime - age }))
    exchange.cacheStatus = 'hit'
    exchange.respond(206, headers, entry.body.subarray(span.start, span.end + 1))
    return true
  }

  /** Answer from a stored response. */
  function serve (exchange: Exchange, state: CacheRequestState, entry: CachedResponse, now: number, status: CacheStatusParams): void {
    state.mode = 'served'
    exchange.cacheStatus = status.hit === true ? 'hit' : 'collapsed'
    const { code, headers, body } = entryResponse(exchange.headers, entry, now, status)
    exchange.respond(code, headers, body)
  }

  function notCached (exchange: Exchange, state: CacheRequestState): void {
    state.mode = 'served'
    exchange.respond(504, ['content-type', 'application/json', 'cache-status', formatCacheStatus({ detail: 'only-if-cached' })], NOT_CACHED_BODY)
  }

  /**
   * Background refresh (stale-while-revalidate): once per key at a time,
   * straight to the upstream with the request's own peer and upstream
   * headers, revalidating with the stored validators.
   */
  function refreshInBackground (exchange: Exchange, key: string, storeKey: string, entry: CachedResponse): void {
    if (shared.refreshing.has(key)) return
    shared.refreshing.add(key)
    const overrides: Array<string | undefined> = []
    for (const name of NOT_REFRESHED) overrides.push(name, undefined)
    const conditional = revalidationHeaders(entry)
    for (const name in conditional) overrides.push(name, conditional[name])
    const facts = requestFacts(exchange, Date.now())
    const headers = exchange.headers
    fetchUpstream(exchange, overrides, config.maxObjectBytes)
      .then(async (fetched) => {
        const now = Date.now()
        const upstream = recordOf(fetched.headers)
        if (fetched.status === 304) {
          if (!selectsForUpdate(entry, upstream)) return
          const refreshed = refreshWith304(entry, facts, upstream, now, config)
          await store.set(storeKey, refreshed, retentionMs(refreshed, now, KEEP_STALE_MS))
          return
        }
        if (fetched.body === undefined) return
        await storeResponse(key, { ...facts, headers }, fetched.status, upstream, fetched.body, now)
      })
      .catch((err: unknown) => { exchange.request.log.warn({ err: (err as Error).message }, 'cache: background refresh failed') })
      .finally(() => { shared.refreshing.delete(key) })
  }

  /** Store a complete response (background refresh): its assessment, then the entry and its Vary marker. */
  async function storeResponse (key: string, facts: RequestFacts, status: number, upstream: Fields, body: Buffer, now: number): Promise<void> {
    const assessed = assessResponse(facts, status, upstream, now, config)
    if (!assessed.storable || body.length > config.maxObjectBytes) return
    const response = assessed.response
    const vary = response.vary
    const storeKey = vary.length > 0 ? variantKey(key, secondaryKey(vary, facts.headers)) : key
    const entry: CachedResponse = { ...response, body }
    const ttl = retentionMs(entry, now, KEEP_STALE_MS)
    const writes = [store.set(storeKey, entry, ttl)]
    if (vary.length > 0) writes.push(store.set(key, { kind: 'vary', names: vary }, ttl))
    await Promise.all(writes)
  }

  function response (exchange: Exchange): void {
    const state = stateOf(exchange)
    if (state === undefined || state.mode === 'served') return
    const headers = exchange.responseHeaders
    if (state.mode === 'bypass') {
      setHeader(headers, 'cache-status', appendCacheStatus(getHeader(headers, 'cache-status'), formatCacheStatus({ fwd: state.fwd })))
      return
    }
    if (state.mode === 'invalidate') {
      const status = exchange.status
      const ok = status >= 200 && status < 400 && exchange.fromUpstream
      if (ok) invalidate(exchange)
      setHeader(headers, 'cache-status', appendCacheStatus(exchange.fromUpstream ? getHeader(headers, 'cache-status') : undefined, formatCacheStatus({ fwd: 'method', ...(ok ? { detail: 'invalidated' } : {}) })))
      return
    }
    try {
      forwarded(exchange, state)
    } catch (err) {
      state.finish()
      throw err
    }
  }

  function forwarded (exchange: Exchange, state: CacheRequestState): void {
    const status = exchange.status
    const now = Date.now()
    const stale = state.stale
    exchange.cacheStatus = state.fwd
    if (stale !== undefined && status >= 500 && (!exchange.fromUpstream || ERROR_STATUSES.has(status)) && mayServeStaleOnError(stale, now, config.staleIfErrorSeconds)) {
      state.finish()
      exchange.cacheStatus = 'stale'
      replaceWith(exchange, entryResponse(exchange.headers, stale, now, { fwd: 'stale', fwdStatus: status, detail: 'stale-if-error' }))
      return
    }
    if (!exchange.fromUpstream) {
      // A response the gateway made (502/503/504, 413, …): nothing to store.
      state.finish()
      setHeader(exchange.responseHeaders, 'cache-status', formatCacheStatus({ fwd: state.fwd }))
      return
    }
    const upstream = recordOf(exchange.responseHeaders)
    if (status === 304 && stale !== undefined) {
      const facts = requestFacts(exchange, exchange.startedAt)
      const matches = selectsForUpdate(stale, upstream)
      const entry = matches ? refreshWith304(stale, facts, upstream, now, config) : stale
      if (matches) {
        state.settling = true
        store.set(state.staleKey, entry, retentionMs(entry, now, KEEP_STALE_MS)).finally(() => { state.finish() })
      } else {
        state.finish()
      }
      replaceWith(exchange, entryResponse(exchange.headers, entry, now, { fwd: state.fwd, fwdStatus: 304, ...(matches ? { stored: true } : { detail: 'validator-mismatch' }) }))
      return
    }
    const headers = exchange.responseHeaders
    const upstreamStatus = upstream['cache-status']
    if (exchange.method !== 'GET') {
      state.finish()
      setHeader(headers, 'cache-status', appendCacheStatus(upstreamStatus, formatCacheStatus({ fwd: state.fwd, fwdStatus: status })))
      return
    }
    const assessed = assessResponse(requestFacts(exchange, exchange.startedAt), status, upstream, now, config)
    if (!assessed.storable) {
      state.finish()
      setHeader(headers, 'cache-status', appendCacheStatus(upstreamStatus, formatCacheStatus({ fwd: state.fwd, fwdStatus: status, detail: assessed.reason })))
      return
    }
    const lengthHeader = upstream['content-length']
    const expectedLength = lengthHeader === undefined ? undefined : Number(lengthHeader)
    if (expectedLength !== undefined && expectedLength > config.maxObjectBytes) {
      state.finish()
      setHeader(headers, 'cache-status', appendCacheStatus(upstreamStatus, formatCacheStatus({ fwd: state.fwd, fwdStatus: status, detail: 'too-large' })))
      return
    }
    const response = assessed.response
    const vary = response.vary
    const storeKey = vary.length > 0 ? variantKey(state.key, secondaryKey(vary, exchange.headers)) : state.key
    setHeader(headers, 'cache-status', appendCacheStatus(upstreamStatus, formatCacheStatus({ fwd: state.fwd, fwdStatus: status, stored: true, ttl: response.lifetime - response.initialAge })))
    state.settling = true
    exchange.addBodyStage((next) => {
      let completed = false
      const recorder = new BodyRecorder(config.maxObjectBytes, expectedLength, (body) => {
        completed = true
        if (body === undefined) { state.finish(); return }
        const entry: CachedResponse = { ...response, body }
        const ttl = retentionMs(entry, Date.now(), KEEP_STALE_MS)
        const writes = [store.set(storeKey, entry, ttl)]
        if (vary.length > 0) writes.push(store.set(state.key, { kind: 'vary', names: vary }, ttl))
        Promise.all(writes).finally(() => { state.finish() })
      })
      // A body cut short (upstream or client gone) leaves no entry and lets coalesced followers go.
      recorder.once('close', () => { if (!completed) state.finish() })
      pipeInto(recorder, next)
      return recorder
    })
  }

  /** RFC 9111 §4.4: a successful unsafe request invalidates its target URI and same-host Location/Content-Location. */
  function invalidate (exchange: Exchange): void {
    const request = exchange.request
    const keys = new Set([primaryKey(request.protocol, request.host, exchange.url)])
    const base = `${request.protocol}://${request.host}${exchange.url}`
    for (const name of ['location', 'content-location']) {
      const value = getHeader(exchange.responseHeaders, name)
      if (value === undefined) continue
      let url: URL
      try { url = new URL(value, base) } catch { continue }
      if (url.host.toLowerCase() !== request.host.toLowerCase()) continue
      const key = primaryKeyOfUrl(url.href)
      if (key !== undefined) keys.add(key)
    }
    Promise.all([...keys].map(async (k) => await store.delete(k))).catch(() => {})
  }

  return { request, response }
}

function requestFacts (exchange: Exchange, sentAt: number): RequestFacts {
  return { method: exchange.method, url: exchange.url, headers: exchange.headers, sentAt }
}

/** Status, headers and body of a stored response as this request gets it (304 when its conditionals match). */
function entryResponse (requestHeaders: IncomingHttpHeaders, entry: CachedResponse, now: number, status: CacheStatusParams): { code: number, headers: string[], body: Buffer | null } {
  const age = currentAge(entry, now)
  let headers: string[]
  let code = entry.status
  let body: Buffer | null = entry.body
  if (conditionalMatches(entry, requestHeaders)) {
    code = 304
    headers = []
    for (const name of NOT_MODIFIED_FIELDS) {
      const value = entry.headers[name]
      if (value === undefined) continue
      if (Array.isArray(value)) for (const v of value) headers.push(name, v)
      else headers.push(name, value)
    }
    body = null
  } else {
    headers = flatHeaders(entry.headers)
  }
  setHeader(headers, 'age', String(Math.floor(age)))
  setHeader(headers, 'cache-status', formatCacheStatus({ ...status, ttl: entry.lifetime - age }))
  return { code, headers, body }
}

/**
 * Replace the response being written by a stored one: a local answer's body
 * directly, an upstream's by a body stage that discards what the upstream
 * sends and writes the stored body instead.
 */
function replaceWith (exchange: Exchange, replacement: { code: number, headers: string[], body: Buffer | null }): void {
  exchange.status = replacement.code
  const headers = replacement.headers
  const body = replacement.body
  if (!exchange.fromUpstream) {
    exchange.responseHeaders = headers
    exchange.localBody = body
    exchange.extraHeaders = undefined
    return
  }
  setHeader(headers, 'content-length', String(body === null || exchange.method === 'HEAD' ? 0 : body.length))
  if (body === null) for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === 'content-length') headers.splice(i, 2)
  exchange.responseHeaders = headers
  exchange.extraHeaders = undefined
  exchange.addBodyStage(replaceBody(exchange.method === 'HEAD' ? null : body))
}

function replaceBody (body: Buffer | null): BodyStage {
  return (next) => new Writable({
    write (_chunk, _encoding, callback) { callback() },
    final (callback) {
      if (body === null) next.end()
      else next.end(body)
      callback()
    },
    destroy (err, callback) {
      next.destroy()
      callback(err)
    }
  })
}

/** Pipe a stage into the next writable, passing errors and early closes on. */
function pipeInto (stage: Transform, next: NodeJS.WritableStream & { destroy: (err?: Error) => void }): void {
  stage.pipe(next)
  stage.once('error', () => { next.destroy() })
}

/** Stored headers (object) as a flat list. */
function flatHeaders (stored: StoredHeaders): string[] {
  const out: string[] = []
  for (const name in stored) {
    const value = stored[name] as string | string[]
    if (Array.isArray(value)) for (const v of value) out.push(name, v)
    else out.push(name, value)
  }
  return out
}

/** A flat header list as an object (repeated names become arrays), as the cache policy reads them. */
function recordOf (headers: readonly string[]): Fields {
  const out: Fields = {}
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string
    const value = headers[i + 1] as string
    const prior = out[name]
    if (prior === undefined) out[name] = value
    else if (Array.isArray(prior)) prior.push(value)
    else out[name] = name === 'set-cookie' ? [prior, value] : `${prior}, ${value}`
  }
  return out
}
