/**
 * The cache link of a route's chain: route → limits → **cache** → balancer →
 * upstream. Its preHandler (a scope hook, so it runs before the forwarder's
 * route-level preHandler picks a target) answers hits, serves stale while
 * revalidating in the background, makes concurrent misses wait for one
 * upstream request and asks for revalidation with conditional headers. Its
 * onSend stores forwarded responses while they stream to the client,
 * refreshes entries with 304s, serves stale on errors and invalidates after
 * unsafe methods.
 *
 * Reads/writes `request.switchyard.cache` (`CacheRequestState`) and the
 * exchange's `upstreamRequestHeaders`/`upstreamResponseHeaders`.
 */
import { pipeline, Readable } from 'node:stream'
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Exchange } from '../proxy/exchange.js'
import { appendCacheStatus, formatCacheStatus, type CacheStatusParams } from './cache-status.js'
import type { CachedResponse } from './entry.js'
import { primaryKey, primaryKeyOfUrl, secondaryKey, variantKey } from './key.js'
import {
  assessResponse, byteRange, conditionalMatches, currentAge, evaluateReuse, ifRangeMatches, mayServeStaleOnError, NOT_MODIFIED_FIELDS,
  refreshWith304, requestDirectives, retentionMs, revalidationHeaders, selectsForUpdate, type RequestFacts
} from './policy.js'
import { BodyRecorder } from './recorder.js'
import { KEEP_STALE_MS, type RouteCacheConfig, type SharedCache } from './shared.js'
import { CacheRequestState } from './state.js'

/** Header marking the cache's own background refresh (value: secret, space, primary key). */
export const REFRESH_HEADER = 'x-switchyard-cache-refresh'
const ERROR_STATUSES = new Set([500, 502, 503, 504])
/** Request fields not copied into a background refresh. */
const NOT_REFRESHED = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range', 'cache-control', 'pragma', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect']

interface Found {
  entry: CachedResponse | undefined
  storeKey: string
  varyMiss: boolean
}

export interface CacheLink {
  preHandler: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>
}

export function createCacheLink (fastify: FastifyInstance, shared: SharedCache, config: RouteCacheConfig): CacheLink {
  const { store, coalescer } = shared
  const refreshPrefix = shared.refreshSecret + ' '

  async function lookup (key: string, headers: IncomingHttpHeaders): Promise<Found> {
    const item = await store.get(key)
    if (item === undefined) return { entry: undefined, storeKey: key, varyMiss: false }
    if (item.kind === 'response') return { entry: item, storeKey: key, varyMiss: false }
    const storeKey = variantKey(key, secondaryKey(item.names, headers))
    const variant = await store.get(storeKey)
    return variant?.kind === 'response' ? { entry: variant, storeKey, varyMiss: false } : { entry: undefined, storeKey, varyMiss: true }
  }

  async function preHandler (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const exchange = request.switchyard
    if (exchange === null) return
    const method = request.method
    if (method !== 'GET' && method !== 'HEAD') {
      exchange.cache = new CacheRequestState(method === 'OPTIONS' || method === 'TRACE' ? 'bypass' : 'invalidate', 'method', '')
      return
    }
    const headers = request.headers
    if (headers.upgrade !== undefined) {
      exchange.cache = new CacheRequestState('bypass', 'bypass', '')
      return
    }
    if (headers.range !== undefined) {
      // A single byte range of a fresh stored 200 is answered from it (RFC 9111 §3.4, RFC 9110 §14); anything else is forwarded untouched.
      if (!await servedRange(request, reply, headers.range)) exchange.cache = new CacheRequestState('bypass', 'bypass', '')
      return
    }
    let key: string
    let refresh = false
    const marker = headers[REFRESH_HEADER]
    if (typeof marker === 'string' && marker.startsWith(refreshPrefix)) {
      key = marker.slice(refreshPrefix.length)
      refresh = true
      exchange.upstreamRequestHeaders = { [REFRESH_HEADER]: undefined }
    } else {
      key = primaryKey(request.protocol, request.host, request.url)
      if (marker !== undefined) exchange.upstreamRequestHeaders = { [REFRESH_HEADER]: undefined }
    }
    const state = new CacheRequestState('forward', 'miss', key)
    state.refresh = refresh
    exchange.cache = state
    const requestCc = requestDirectives(headers)
    const found = await lookup(key, headers)
    const now = Date.now()

    if (found.entry !== undefined) {
      const entry = found.entry
      const reuse = refresh ? 'revalidate-request' : evaluateReuse(entry, requestCc, now)
      if (reuse === 'fresh' || reuse === 'stale-allowed') {
        serve(request, reply, entry, now, { hit: true, ...(reuse === 'stale-allowed' ? { detail: 'max-stale' } : {}) })
        return
      }
      if (reuse === 'stale-while-revalidate') {
        serve(request, reply, entry, now, { hit: true, detail: 'stale-while-revalidate' })
        refreshInBackground(request, key)
        return
      }
      if (requestCc?.['only-if-cached'] !== undefined) { notCached(reply, state); return }
      state.stale = entry
      state.staleKey = found.storeKey
      state.fwd = reuse === 'revalidate-request' ? 'request' : 'stale'
      const conditional = revalidationHeaders(entry)
      exchange.upstreamRequestHeaders = exchange.upstreamRequestHeaders === undefined ? conditional : { ...exchange.upstreamRequestHeaders, ...conditional }
      if (reuse === 'revalidate-stale' && method === 'GET' && !refresh) await coalesce(request, reply, state, requestCc)
      return
    }
    if (requestCc?.['only-if-cached'] !== undefined) { notCached(reply, state); return }
    state.fwd = found.varyMiss ? 'vary-miss' : 'miss'
    if (method === 'GET' && !refresh && requestCc?.['no-cache'] === undefined) {
      await coalesce(request, reply, state, requestCc)
    }
  }

  /**
   * Coalescing: the first request for a key goes upstream; the others wait for
   * it (at most `coalesceWaitMs`), then answer from what it stored or go upstream.
   */
  async function coalesce (request: FastifyRequest, reply: FastifyReply, state: CacheRequestState, requestCc: ReturnType<typeof requestDirectives>): Promise<void> {
    const key = state.key
    if (config.coalesceWaitMs === 0) return
    const release = coalescer.lead(key)
    if (release !== undefined) {
      state.release = release
      reply.raw.once('close', () => { if (!state.settling) state.finish() })
      return
    }
    await coalescer.wait(key, config.coalesceWaitMs)
    const again = await lookup(key, request.headers)
    if (again.entry !== undefined) {
      const now = Date.now()
      const reuse = evaluateReuse(again.entry, requestCc, now)
      if (reuse === 'fresh' || reuse === 'stale-allowed') {
        serve(request, reply, again.entry, now, { fwd: state.fwd, collapsed: true })
      }
    }
  }

  /** Answer a Range request from a fresh stored complete response; false when it can't be. */
  async function servedRange (request: FastifyRequest, reply: FastifyReply, range: string): Promise<boolean> {
    const found = await lookup(primaryKey(request.protocol, request.host, request.url), request.headers)
    const entry = found.entry
    if (entry === undefined || entry.status !== 200) return false
    const now = Date.now()
    const reuse = evaluateReuse(entry, requestDirectives(request.headers), now)
    if (reuse !== 'fresh' && reuse !== 'stale-allowed') return false
    const span = byteRange(range, entry.body.length)
    const ifRange = request.headers['if-range']
    if (span === undefined || !ifRangeMatches(entry, Array.isArray(ifRange) ? ifRange[0] : ifRange)) return false
    ;(request.switchyard as Exchange).cache = new CacheRequestState('served', 'miss', '')
    const age = currentAge(entry, now)
    reply.code(206)
    reply.headers(entry.headers)
    reply.removeHeader('content-length')
    reply.header('content-range', `bytes ${span.start}-${span.end}/${entry.body.length}`)
    reply.header('age', Math.floor(age))
    reply.header('cache-status', formatCacheStatus({ hit: true, ttl: entry.lifetime - age }))
    reply.send(request.method === 'HEAD' ? null : entry.body.subarray(span.start, span.end + 1))
    return true
  }

  /** Answer from a stored response (in the preHandler). */
  function serve (request: FastifyRequest, reply: FastifyReply, entry: CachedResponse, now: number, status: CacheStatusParams): void {
    (request.switchyard as Exchange).cache = new CacheRequestState('served', 'miss', '')
    const body = applyEntry(request, reply, entry, now, status)
    reply.send(body)
  }

  function notCached (reply: FastifyReply, state: CacheRequestState): void {
    state.mode = 'served'
    reply.code(504).header('cache-status', formatCacheStatus({ detail: 'only-if-cached' })).type('application/json')
      .send({ statusCode: 504, code: 'SWITCHYARD_NOT_CACHED', error: 'Gateway Timeout', message: 'The response is not in the cache (only-if-cached)' })
  }

  /** Background refresh (stale-while-revalidate): once per key at a time, through the route itself. */
  function refreshInBackground (request: FastifyRequest, key: string): void {
    if (shared.refreshing.has(key)) return
    shared.refreshing.add(key)
    const headers: Record<string, string | string[]> = {}
    for (const name in request.headers) {
      const value = request.headers[name]
      if (value !== undefined && !NOT_REFRESHED.includes(name)) headers[name] = value
    }
    headers[REFRESH_HEADER] = refreshPrefix + key
    fastify.inject({ method: 'GET', url: request.url, headers })
      .catch((err: unknown) => { request.log.warn({ err }, 'cache: background refresh failed') })
      .finally(() => { shared.refreshing.delete(key) })
  }

  async function onSend (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const exchange = request.switchyard
    const state = exchange?.cache
    if (state === undefined || exchange === null || state.mode === 'served') return payload
    if (state.mode === 'bypass') {
      reply.header('cache-status', appendCacheStatus(reply.getHeader('cache-status') as string | undefined, formatCacheStatus({ fwd: state.fwd })))
      return payload
    }
    if (state.mode === 'invalidate') {
      const status = reply.statusCode
      const ok = status >= 200 && status < 400 && exchange.upstreamResponseHeaders !== undefined
      if (ok) await invalidate(request, reply)
      reply.header('cache-status', appendCacheStatus(exchange.upstreamResponseHeaders?.['cache-status'], formatCacheStatus({ fwd: 'method', ...(ok ? { detail: 'invalidated' } : {}) })))
      return payload
    }
    try {
      return handleForwarded(request, reply, exchange, state, payload)
    } catch (err) {
      state.finish()
      throw err
    }
  }

  function handleForwarded (request: FastifyRequest, reply: FastifyReply, exchange: Exchange, state: CacheRequestState, payload: unknown): unknown {
    const upstream = exchange.upstreamResponseHeaders
    const status = reply.statusCode
    const now = Date.now()
    const stale = state.stale
    if (stale !== undefined && status >= 500 && (upstream === undefined || ERROR_STATUSES.has(status)) && mayServeStaleOnError(stale, now, config.staleIfErrorSeconds)) {
      state.finish()
      discard(payload)
      clearResponseHeaders(reply, upstream)
      return applyEntry(request, reply, stale, now, { fwd: 'stale', fwdStatus: status, detail: 'stale-if-error' })
    }
    if (upstream === undefined) {
      // A response the gateway made (502/503/504, 413, …): nothing to store.
      state.finish()
      reply.header('cache-status', formatCacheStatus({ fwd: state.fwd }))
      return payload
    }
    if (status === 304 && stale !== undefined) {
      const facts = requestFacts(request, exchange)
      const matches = selectsForUpdate(stale, upstream)
      const entry = matches ? refreshWith304(stale, facts, upstream, now, config) : stale
      discard(payload)
      clearResponseHeaders(reply, upstream)
      if (matches) {
        state.settling = true
        store.set(state.staleKey, entry, retentionMs(entry, now, KEEP_STALE_MS)).finally(() => { state.finish() })
      } else {
        state.finish()
      }
      return applyEntry(request, reply, entry, now, { fwd: state.fwd, fwdStatus: 304, ...(matches ? { stored: true } : { detail: 'validator-mismatch' }) })
    }
    const upstreamStatus = upstream['cache-status']
    if (request.method !== 'GET' || !(payload instanceof Readable)) {
      state.finish()
      reply.header('cache-status', appendCacheStatus(upstreamStatus, formatCacheStatus({ fwd: state.fwd, fwdStatus: status })))
      return payload
    }
    const assessed = assessResponse(requestFacts(request, exchange), status, upstream, now, config)
    if (!assessed.storable) {
      state.finish()
      reply.header('cache-status', appendCacheStatus(upstreamStatus, formatCacheStatus({ fwd: state.fwd, fwdStatus: status, detail: assessed.reason })))
      return payload
    }
    const lengthHeader = upstream['content-length']
    const expectedLength = lengthHeader === undefined ? undefined : Number(lengthHeader)
    if (expectedLength !== undefined && expectedLength > config.maxObjectBytes) {
      state.finish()
      reply.header('cache-status', appendCacheStatus(upstreamStatus, formatCacheStatus({ fwd: state.fwd, fwdStatus: status, detail: 'too-large' })))
      return payload
    }
    const response = assessed.response
    const vary = response.vary
    const storeKey = vary.length > 0 ? variantKey(state.key, secondaryKey(vary, request.headers)) : state.key
    reply.header('cache-status', appendCacheStatus(upstreamStatus, formatCacheStatus({ fwd: state.fwd, fwdStatus: status, stored: true, ttl: response.lifetime - response.initialAge })))
    state.settling = true
    const recorder = new BodyRecorder(config.maxObjectBytes, expectedLength, (body) => {
      if (body === undefined) { state.finish(); return }
      const entry: CachedResponse = { ...response, body }
      const ttl = retentionMs(entry, Date.now(), KEEP_STALE_MS)
      const writes = [store.set(storeKey, entry, ttl)]
      if (vary.length > 0) writes.push(store.set(state.key, { kind: 'vary', names: vary }, ttl))
      Promise.all(writes).finally(() => { state.finish() })
    })
    pipeline(payload, recorder, (err) => { if (err !== undefined && err !== null) state.finish() })
    return recorder
  }

  /** RFC 9111 §4.4: a successful unsafe request invalidates its target URI and same-host Location/Content-Location. */
  async function invalidate (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const target = primaryKey(request.protocol, request.host, request.url)
    const keys = new Set([target])
    const base = `${request.protocol}://${request.host}${request.url}`
    for (const name of ['location', 'content-location']) {
      const value = reply.getHeader(name)
      if (typeof value !== 'string') continue
      let url: URL
      try { url = new URL(value, base) } catch { continue }
      if (url.host.toLowerCase() !== request.host.toLowerCase()) continue
      const key = primaryKeyOfUrl(url.href)
      if (key !== undefined) keys.add(key)
    }
    await Promise.all([...keys].map(async (k) => await store.delete(k)))
  }

  return { preHandler, onSend }
}

function requestFacts (request: FastifyRequest, exchange: Exchange): RequestFacts {
  return { method: request.method, url: request.url, headers: request.headers, sentAt: exchange.startedAt }
}

/** Set status and headers of a stored response on `reply`; returns the body to send (none for 304). */
function applyEntry (request: FastifyRequest, reply: FastifyReply, entry: CachedResponse, now: number, status: CacheStatusParams): Buffer | null {
  const age = currentAge(entry, now)
  const headers = entry.headers
  let body: Buffer | null = entry.body
  if (conditionalMatches(entry, request.headers)) {
    reply.code(304)
    for (const name of NOT_MODIFIED_FIELDS) {
      const value = headers[name]
      if (value !== undefined) reply.header(name, value)
    }
    body = null
  } else {
    reply.code(entry.status)
    reply.headers(headers)
  }
  reply.header('age', Math.floor(age))
  reply.header('cache-status', formatCacheStatus({ ...status, ttl: entry.lifetime - age }))
  return body
}

/** Drop the headers of the response being replaced by a stored one. */
function clearResponseHeaders (reply: FastifyReply, upstream: Record<string, unknown> | undefined): void {
  if (upstream !== undefined) for (const name in upstream) reply.removeHeader(name)
  for (const name of ['content-type', 'content-length', 'retry-after']) reply.removeHeader(name)
}

function discard (payload: unknown): void {
  if (payload instanceof Readable) {
    payload.on('error', () => {})
    payload.resume()
  }
}
