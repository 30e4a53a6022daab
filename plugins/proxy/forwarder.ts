/**
 * The balancer and upstream links of a route's chain: pick a target, forward
 * with `@fastify/reply-from`, retry on another target when the connection
 * failed before any response byte, map failures to 502/503/504.
 *
 * Reads `request.switchyard` (created by the route), writes its `target`.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify'
import type { Pool, Target } from '../pools/index.js'
import { Exchange } from './exchange.js'
import { DeferredBody } from './deferred-body.js'
import { discardRestOfBody } from '../request-hygiene/body-limit.js'
import { BadGatewayError, BodyTooLargeError, GatewayTimeoutError, NoTargetError, NO_TARGET_RETRY_AFTER_SECONDS } from './errors.js'
import { rewriteLocation, sanitizeResponseHeaders, setForwardedHeaders, stripHopByHop, type LocationContext } from './headers.js'
import type { TrustFunction } from './trust.js'

/** Failures that happen before a request byte could reach the backend. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'
])
/** Failures after the request was sent but before any response byte. */
const RESET_FAILURES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED'])
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'FST_REPLY_FROM_GATEWAY_TIMEOUT'])
/** Methods safe to replay on a reset (RFC 9110 §9.2.2), when they carry no body. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])
const INVALID_HEADER_CHAR = /[^\t\x20-\x7E\x80-\xFF]/

/** `reply.from()` options (reply-from types them for HTTP/2 servers too; ours are HTTP/1 requests). */
export type ReplyFromOptions = NonNullable<Parameters<FastifyReply['from']>[1]>

export interface ForwarderOptions {
  pool: Pool
  /** The route prefix as declared (`/api`, `/`). */
  prefix: string
  stripPrefix: boolean
  trust: TrustFunction
  /**
   * Response link: called when a target's response headers arrived (after
   * header rewriting and any retry, before the body is sent), e.g. to append
   * a sticky `Set-Cookie`.
   */
  onUpstreamResponse?: (request: FastifyRequest, reply: FastifyReply, exchange: Exchange) => void
  /** Largest request body forwarded, counted while streaming; more → 413. Default: no limit. */
  bodyLimit?: number
}

export interface Forwarder {
  /** onRequest: create the request's exchange state. */
  onRequest: onRequestHookHandler
  /** preHandler: the balancer link: pick a target or answer 503. */
  preHandler: preHandlerHookHandler
  /** http-proxy handler: forward to the picked target. */
  handler: (request: FastifyRequest, reply: FastifyReply, dest: string) => FastifyReply
  /** Reply-from options, shared by all requests of the route. */
  replyOptions: ReplyFromOptions
  /** WebSocket upgrade request headers. */
  rewriteWsHeaders: (headers: Record<string, string>, request: FastifyRequest) => Record<string, string>
}

export function createForwarder (options: ForwarderOptions): Forwarder {
  const { pool, trust } = options
  const restorePrefix = options.stripPrefix && options.prefix !== '/' ? options.prefix.replace(/\/$/, '') : ''
  const isTargetOrigin = (origin: string): boolean => pool.findTargetByOrigin(origin) !== undefined
  const onUpstreamResponse = options.onUpstreamResponse
  const bodyLimit = options.bodyLimit ?? Infinity

  function onRequest (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const exchange = new Exchange(pool, options.prefix, Date.now())
    request.switchyard = exchange
    pool.retryBudget.recordRequest(exchange.startedAt)
    reply.raw.once('close', () => { exchange.release() })
    done()
  }

  /** The balancer link: a pinned target (sticky) when it may serve, else the balancer's pick. */
  function preHandler (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const exchange = request.switchyard as Exchange
    if (exchange.target === undefined) {
      const preferred = exchange.preferred
      let target: Target | undefined
      if (preferred !== undefined && preferred.mayKeepPinned(exchange.startedAt, pool.config.maxConnectionsPerTarget)) {
        target = preferred
        exchange.pickedBy = 'sticky'
      } else {
        target = pool.pickTarget(request)
      }
      if (target === undefined) {
        reply.header('retry-after', NO_TARGET_RETRY_AFTER_SECONDS)
        reply.send(new NoTargetError())
        return
      }
      exchange.assign(target)
    }
    done()
  }

  function getUpstream (request: FastifyRequest): string {
    return (request.switchyard as Exchange).target?.origin ?? 'http://switchyard.invalid'
  }

  function rewriteRequestHeaders (request: FastifyRequest, headers: Record<string, string | string[] | number | undefined>): typeof headers {
    stripHopByHop(headers)
    headers.host = request.switchyard?.target?.hostHeader ?? headers.host
    setForwardedHeaders(headers, request.headers, {
      peerAddress: request.socket.remoteAddress,
      peerTrusted: request.socket.remoteAddress !== undefined && trust(request.socket.remoteAddress, 0),
      protocol: isEncrypted(request) ? 'https' : 'http',
      host: request.headers.host ?? (request.headers[':authority'] as string | undefined)
    })
    const extra = request.switchyard?.upstreamRequestHeaders
    if (extra !== undefined) {
      for (const name in extra) {
        const value = extra[name]
        if (value === undefined) delete headers[name]
        else headers[name] = value
      }
    }
    return headers
  }

  function rewriteHeaders (headers: Record<string, string | string[] | number | undefined>, request: FastifyRequest): typeof headers {
    sanitizeResponseHeaders(headers)
    if (request.switchyard !== null) request.switchyard.upstreamResponseHeaders = headers
    const location = headers.location
    if (typeof location === 'string') {
      const ctx: LocationContext = { isTargetOrigin, restorePrefix, publicOrigin: `${request.protocol}://${request.host}` }
      headers.location = rewriteLocation(location, ctx)
    }
    for (const name in headers) {
      const value = headers[name]
      if (typeof value === 'string' && INVALID_HEADER_CHAR.test(value)) headers[name] = value.replace(/[^\t\x20-\x7E\x80-\xFF]/g, '')
    }
    return headers
  }

  function onResponse (request: FastifyRequest, reply: FastifyReply, res: { statusCode: number, stream: NodeJS.ReadableStream }): void {
    const exchange = request.switchyard as Exchange
    const target = exchange.target
    if (target !== undefined) {
      const now = Date.now()
      target.recordLatency(now - exchange.startedAt, now)
      target.countStatus(res.statusCode)
      // Passive health: a response resets the failure streak (or, with `outlier.on5xx`, a 5xx extends it).
      if (pool.outlier !== undefined) pool.outlier.onResponse(target, res.statusCode, now)
      else if (target.consecutiveFailures !== 0) target.consecutiveFailures = 0
    }
    if (onUpstreamResponse !== undefined) onUpstreamResponse(request, reply, exchange)
    reply.send(res.stream)
  }

  function onError (reply: FastifyReply, { error }: { error: Error & { code?: string, cause?: { code?: string } } }): void {
    const request = reply.request
    const exchange = request.switchyard as Exchange
    const code = error.cause?.code ?? error.code ?? ''
    if (code === 'SWITCHYARD_BODY_TOO_LARGE') {
      // The client's fault, not the target's: no failure counted, no retry; the rest of the body is discarded.
      reply.send(new BodyTooLargeError())
      discardRestOfBody(request.raw)
      return
    }
    const failed = exchange.target
    if (failed !== undefined) {
      failed.failures++
      if (CONNECT_FAILURES.has(code) || RESET_FAILURES.has(code) || TIMEOUTS.has(code)) {
        failed.consecutiveFailures++
        pool.outlier?.onFailure(failed, code, Date.now())
      }
    }
    request.log.warn({ code, retries: exchange.retries, target: failed?.id }, 'upstream request failed')
    if (mayRetry(request, exchange, code)) {
      exchange.markTried()
      const next = pool.pickTarget(request, exchange.tried)
      if (next !== undefined) {
        exchange.retries++
        exchange.pickedBy = 'retry'
        exchange.assign(next)
        if (exchange.body !== undefined) request.body = exchange.body = new DeferredBody(request.raw, bodyLimit)
        reply.from(exchange.upstreamPath, replyOptions)
        return
      }
    }
    reply.send(TIMEOUTS.has(code) ? new GatewayTimeoutError() : new BadGatewayError())
  }

  function mayRetry (request: FastifyRequest, exchange: Exchange, code: string): boolean {
    if (exchange.retries >= pool.config.retries || clientGone(request)) return false
    const body = exchange.body
    let replayable = false
    if (CONNECT_FAILURES.has(code)) replayable = body === undefined || (!body.started && !request.raw.destroyed)
    else if (RESET_FAILURES.has(code)) replayable = body === undefined && IDEMPOTENT.has(request.method)
    // The budget is asked last, so that only real retries draw from it.
    return replayable && pool.retryBudget.tryRetry(Date.now())
  }

  const replyOptions = {
    getUpstream,
    rewriteRequestHeaders,
    rewriteHeaders,
    onResponse,
    onError,
    // Retries are ours (on another target); reply-from's own would reuse the same one.
    retryDelay: () => null
  } as unknown as ReplyFromOptions

  function handler (request: FastifyRequest, reply: FastifyReply, dest: string): FastifyReply {
    const exchange = request.switchyard as Exchange
    exchange.upstreamPath = dest
    if (hasBody(request)) request.body = exchange.body = new DeferredBody(request.raw, bodyLimit)
    return reply.from(dest, replyOptions)
  }

  function rewriteWsHeaders (headers: Record<string, string>, request: FastifyRequest): Record<string, string> {
    const out: Record<string, string | string[] | number | undefined> = { ...headers }
    const incoming = request.headers
    if (incoming.cookie !== undefined) out.cookie = incoming.cookie
    if (incoming.authorization !== undefined) out.authorization = incoming.authorization
    rewriteRequestHeaders(request, out)
    return out as Record<string, string>
  }

  return { onRequest, preHandler, handler, replyOptions, rewriteWsHeaders }
}

function clientGone (request: FastifyRequest): boolean {
  return request.raw.socket?.destroyed ?? false
}

function hasBody (request: FastifyRequest): boolean {
  const headers = request.headers
  return headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
}

function isEncrypted (request: FastifyRequest): boolean {
  return (request.socket as { encrypted?: boolean }).encrypted === true
}
