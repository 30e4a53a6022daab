/**
 * The upstream link: send the request to the chosen target with undici's
 * `dispatch` and a raw handler that writes the response straight to the
 * client's response (no intermediate stream, no per-header setHeader).
 *
 * The handler is the exchange itself (`ProxyExchange`, one object per
 * request): it streams both ways with backpressure, retries on another
 * target when the connection failed before any response byte, keeps the
 * precise timeouts (`responseTimeoutMs` to the response head,
 * `idleTimeoutMs` of silence in the body) on one `DeadlineQueue` per route,
 * tells the pool each outcome (passive health), and maps failures to
 * 502/503/504 with the gateway's own bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import type { Writable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { FastifyBaseLogger } from 'fastify'
import { Exchange, type ClientRequest } from '../../lib/exchange.js'
import { DeadlineQueue, type DeadlineEntry } from '../../lib/deadlines.js'
import { BadGatewayError, BodyTooLargeError, GatewayTimeoutError, NoTargetError, NO_TARGET_RETRY_AFTER_SECONDS } from '../../lib/errors.js'
import createError from '@fastify/error'
import type { Link, RouteFacts, UpstreamFetch } from '../../lib/link.js'
import type { TrustFunction } from '../../lib/trust.js'
import type { Pool, Target } from '../pools/index.js'
import { DeferredBody } from './deferred-body.js'
import { discardRestOfBody } from '../request-hygiene/body-limit.js'
import { clientResponseHeaders, rewriteLocation, upstreamRequestHeaders, type LocationContext } from './headers.js'

/** Failures that happen before a request byte could reach the backend. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'
])
/** Failures after the request was sent but before any response byte. */
const RESET_FAILURES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED'])
/** Methods safe to replay on a reset (RFC 9110 §9.2.2), when they carry no body. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])
const NO_TARGET_HEADERS = ['retry-after', String(NO_TARGET_RETRY_AFTER_SECONDS)]
/** Response bytes a slow client may have waiting in the gateway before its upstream is paused. */
export const RESPONSE_BUFFER_BYTES = 64 * 1024

type ServerRequestVersion = Pick<IncomingMessage, 'httpVersionMajor' | 'httpVersionMinor'>

/** One client connection holds its share of the target's connections already. */
const ConnectionShareError = createError('SWITCHYARD_CONNECTION_SHARE', 'This connection has too many requests in flight', 503)

/** Our own abort reasons (undici hands them back to `onError`). */
class ResponseTimeout extends Error { readonly code = 'SWITCHYARD_RESPONSE_TIMEOUT' }
class BodyIdleTimeout extends Error { readonly code = 'SWITCHYARD_BODY_IDLE_TIMEOUT' }
class ClientGone extends Error { readonly code = 'SWITCHYARD_CLIENT_GONE' }

/** Everything the upstream link of one route computed once. */
export interface UpstreamRoute {
  readonly pool: Pool
  readonly prefix: string
  readonly stripPrefix: boolean
  readonly trust: TrustFunction
  readonly bodyLimit: number
  readonly responseDeadlines: DeadlineQueue
  readonly idleDeadlines: DeadlineQueue
  readonly location: Omit<LocationContext, 'publicOrigin'>
  readonly log: FastifyBaseLogger
}

/**
 * A request forwarded through the chain: the exchange state plus undici's
 * dispatch handler (legacy API: raw header Buffers, no per-request wrapper).
 */
export class ProxyExchange extends Exchange implements DeadlineEntry, Dispatcher.DispatchHandler {
  upstream: UpstreamRoute | undefined = undefined
  /** The request body as handed to the current attempt (requests with a body only). */
  body: DeferredBody | undefined = undefined
  deadlineAt = 0
  deadlinePrev: DeadlineEntry | undefined = undefined
  deadlineNext: DeadlineEntry | undefined = undefined
  deadlineQueue: DeadlineQueue | undefined = undefined
  private abortAttempt: ((err: Error) => void) | undefined = undefined
  private resumeUpstream: (() => void) | undefined = undefined
  private sink: Writable | undefined = undefined
  /** The response head received but not yet written (see `onHeaders`). */
  private pendingStatus = 0
  private pendingHeaders: string[] | undefined = undefined
  private sentAt = 0
  private done = false
  private clientClosed = false
  private readonly onClientClose = (): void => {
    this.clientClosed = true
    if (!this.done) this.abortAttempt?.(new ClientGone())
    this.release()
  }

  /** The slow client's drain listener, made the first time a write waits (most responses never do). */
  private onSinkDrain: (() => void) | undefined = undefined
  private waitingForDrain = false
  private sinkDrained (): void {
    this.waitingForDrain = false
    const upstream = this.upstream
    if (upstream !== undefined && !this.done) upstream.idleDeadlines.add(this, Date.now())
    this.resumeUpstream?.()
  }

  /** Begin forwarding (the balancer link assigned `target`). */
  forward (upstream: UpstreamRoute): void {
    this.upstream = upstream
    // `on`, not `once`: the response closes once, and `once` would wrap the listener per request.
    this.res.on('close', this.onClientClose)
    if (hasBody(this.req)) this.body = new DeferredBody(this.req, upstream.bodyLimit)
    this.send()
  }

  private send (): void {
    const upstream = this.upstream as UpstreamRoute
    const target = this.target as Target
    const req = this.req
    const headers = forwardedRequestHeaders(req, upstream.trust, target)
    const overrides = this.upstreamHeaderOverrides
    if (overrides !== undefined) applyOverrides(headers, overrides)
    this.sentAt = Date.now()
    upstream.responseDeadlines.add(this, this.sentAt)
    upstream.pool.dispatcher.dispatch({
      origin: target.origin,
      path: upstreamPath(this.url, upstream),
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: this.body ?? null,
      headersTimeout: 0,
      bodyTimeout: 0
    }, this)
  }

  onDeadline (): void {
    if (this.done) return
    this.abortAttempt?.(this.pendingStatus === 0 ? new ResponseTimeout() : new BodyIdleTimeout())
  }

  onConnect (abort: (err?: Error) => void): void {
    this.abortAttempt = abort
    if (this.clientClosed) abort(new ClientGone())
  }

  onHeaders (statusCode: number, rawHeaders: Array<string | Buffer>, resume: () => void): boolean {
    const upstream = this.upstream as UpstreamRoute
    if (statusCode < 200) {
      if (statusCode === 103) writeEarlyHints(this.res as ServerResponse, this.req as ServerRequestVersion, rawHeaders)
      return true
    }
    const now = Date.now()
    upstream.responseDeadlines.remove(this)
    this.upstreamMs = now - this.sentAt
    upstream.pool.reportResponse(this.target as Target, statusCode, now - this.startedAt, now)
    this.resumeUpstream = resume
    const { headers, location } = clientResponseHeaders(rawHeaders)
    if (location !== -1) {
      headers[location] = rewriteLocation(headers[location] as string, {
        ...upstream.location,
        publicOrigin: `${this.request.protocol}://${this.request.host}`
      })
    }
    // The head is written with the first body byte (or the end): a body that
    // fails before any byte (bad chunked framing) still gets a clean 502.
    this.pendingStatus = statusCode
    this.pendingHeaders = headers
    upstream.idleDeadlines.add(this, now)
    return true
  }

  /** Write the response head held since `onHeaders`; false when Node refused it. */
  private startClientResponse (): boolean {
    const upstream = this.upstream as UpstreamRoute
    try {
      this.sink = this.startResponse(this.pendingStatus, this.pendingHeaders as string[])
      this.pendingHeaders = undefined
      return true
    } catch (err) {
      // Invalid header characters from the backend: Node refuses to write them.
      upstream.log.warn({ err: (err as Error).message, target: this.target?.id }, 'upstream response head refused')
      this.answered = false
      this.fromUpstream = false
      this.extraHeaders = undefined
      this.bodyStages = undefined
      this.pendingHeaders = undefined
      this.abortAttempt?.(new BadGatewayError())
      return false
    }
  }

  onData (chunk: Buffer): boolean {
    const upstream = this.upstream as UpstreamRoute
    if (this.sink === undefined && !this.startClientResponse()) return false
    const sink = this.sink as Writable
    this.bytesSent += chunk.length
    // Up to RESPONSE_BUFFER_BYTES wait for a slow client before the upstream is paused (as nginx's
    // proxy buffers do): pausing and resuming the upstream socket for every response past the
    // client socket's 16 KiB high-water mark cost 15 % of a 64 KB response's CPU.
    if (sink.write(chunk) || (sink.writableLength ?? Infinity) < RESPONSE_BUFFER_BYTES) {
      upstream.idleDeadlines.add(this, Date.now())
      return true
    }
    // The client is slow, not the upstream: the idle clock waits for the drain.
    upstream.idleDeadlines.remove(this)
    // The transport may still hand over the rest of what it has read: one drain listener is enough.
    if (!this.waitingForDrain) {
      this.waitingForDrain = true
      sink.once('drain', this.onSinkDrain ??= () => { this.sinkDrained() })
    }
    return false
  }

  onComplete (): void {
    const upstream = this.upstream as UpstreamRoute
    upstream.idleDeadlines.remove(this)
    if (this.sink === undefined && !this.startClientResponse()) return
    this.finish()
    ;(this.sink as Writable).end()
  }

  onError (err: Error & { code?: string }): void {
    const upstream = this.upstream as UpstreamRoute
    if (this.done) return
    upstream.responseDeadlines.remove(this)
    upstream.idleDeadlines.remove(this)
    this.abortAttempt = undefined
    const code = err.code ?? ''
    if (this.sink !== undefined) {
      // The response has started: nothing to answer, the client connection is cut.
      this.finish()
      if (code !== 'SWITCHYARD_CLIENT_GONE') {
        upstream.log.warn({ code, target: this.target?.id }, 'upstream response failed mid-body')
        if (code !== 'SWITCHYARD_BODY_IDLE_TIMEOUT') upstream.pool.reportFailure(this.target as Target, code, false, Date.now())
      }
      this.sink.destroy()
      this.res.destroy()
      return
    }
    if (code === 'SWITCHYARD_CLIENT_GONE') { this.finish(); return }
    if (this.pendingStatus !== 0) {
      // Headers arrived, then the body failed before its first byte: a clean 502, no replay.
      this.finish()
      if (code !== 'SWITCHYARD_BAD_GATEWAY') {
        upstream.log.warn({ code, target: this.target?.id }, 'upstream response failed before its body')
        if (code !== 'SWITCHYARD_BODY_IDLE_TIMEOUT') upstream.pool.reportFailure(this.target as Target, code, false, Date.now())
      }
      this.respondError(code === 'SWITCHYARD_BODY_IDLE_TIMEOUT' ? new GatewayTimeoutError() : new BadGatewayError())
      return
    }
    if (code === 'SWITCHYARD_BODY_TOO_LARGE') {
      // The client's fault, not the target's: no failure counted, no retry; the rest of the body is discarded.
      this.finish()
      this.respondError(new BodyTooLargeError())
      discardRestOfBody(this.req as never)
      return
    }
    const now = Date.now()
    const connectFailure = CONNECT_FAILURES.has(code)
    const failed = this.target as Target
    if (code !== 'SWITCHYARD_BAD_GATEWAY') upstream.pool.reportFailure(failed, code, connectFailure, now)
    if (this.mayRetry(code, connectFailure)) {
      this.markTried()
      const next = upstream.pool.pickTarget(this, this.tried)
      if (next !== undefined) {
        upstream.log.warn({ code, target: failed.id, retry: this.retries + 1, next: next.id }, 'upstream request failed, retrying')
        this.retries++
        this.pickedBy = 'retry'
        this.assign(next)
        if (this.body !== undefined) this.body = new DeferredBody(this.req, upstream.bodyLimit)
        this.send()
        return
      }
    }
    upstream.log.warn({ code, target: failed.id, retries: this.retries }, 'upstream request failed')
    this.finish()
    this.respondError(code === 'SWITCHYARD_RESPONSE_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? new GatewayTimeoutError() : new BadGatewayError())
  }

  /**
   * Whether a failed attempt may go to another target (within `retries`). A
   * connect that failed sent nothing: it is tried elsewhere without asking
   * the retry budget (that is for replays that cost a backend work). A reset
   * is replayed only for idempotent requests without a body, and only within
   * the budget.
   */
  private mayRetry (code: string, connectFailure: boolean): boolean {
    const pool = (this.upstream as UpstreamRoute).pool
    if (this.clientClosed) return false
    const body = this.body
    if (connectFailure) {
      return this.retries < pool.config.retries && (body === undefined || (!body.started && !this.req.destroyed))
    }
    if (RESET_FAILURES.has(code) && body === undefined && IDEMPOTENT.has(this.method) && this.retries < pool.config.retries) {
      // The budget is asked last, so that only real retries draw from it.
      return pool.retryBudget.tryRetry(Date.now())
    }
    return false
  }

  private finish (): void {
    this.done = true
    this.release()
  }
}

/**
 * Share of a target's `maxConnectionsPerTarget` one client connection may
 * hold (in-flight upstream requests of one HTTP/2 session, or of one
 * pipelining HTTP/1.1 socket): one connection opening many streams must not
 * lock everyone else out.
 */
export function connectionShare (maxConnectionsPerTarget: number): number {
  return Math.max(1, Math.floor(maxConnectionsPerTarget / CONNECTION_SHARE_DIVISOR))
}
const CONNECTION_SHARE_DIVISOR = 4

/**
 * The balancer link: the preferred (sticky) target while it may serve, else
 * the pool's pick; 503 when none, or when the client connection already
 * holds its share (`connectionShare`).
 */
export function createBalancerLink (): Link {
  return {
    request (exchange: Exchange): void {
      const pool = exchange.pool
      if (exchange.connectionInFlight() >= connectionShare(pool.config.maxConnectionsPerTarget)) {
        exchange.respondError(new ConnectionShareError(), NO_TARGET_HEADERS)
        return
      }
      const preferred = exchange.preferred
      let target: Target | undefined
      if (preferred !== undefined && preferred.mayKeepPinned(exchange.startedAt, pool.config.maxConnectionsPerTarget)) {
        target = preferred
        exchange.pickedBy = 'sticky'
      } else {
        target = pool.pickTarget(exchange)
      }
      if (target === undefined) {
        exchange.respondError(new NoTargetError(), NO_TARGET_HEADERS)
        return
      }
      exchange.assign(target)
    }
  }
}

/** The exchange link: the request counts in its pool's retry budget from here on. */
export function createExchangeLink (): Link {
  return {
    request (exchange: Exchange): void {
      exchange.pool.retryBudget.recordRequest(exchange.startedAt)
    }
  }
}

/** The upstream link of one route: forward to `exchange.target` (set by the balancer link). */
export function createUpstreamLink (route: RouteFacts, bodyLimit: number, log: FastifyBaseLogger): Link {
  const pool = route.pool
  const upstream: UpstreamRoute = {
    pool,
    prefix: route.prefix,
    stripPrefix: route.stripPrefix,
    trust: route.trust,
    bodyLimit,
    responseDeadlines: new DeadlineQueue(pool.config.responseTimeoutMs),
    idleDeadlines: new DeadlineQueue(pool.config.idleTimeoutMs),
    location: {
      isTargetOrigin: (origin) => pool.findTargetByOrigin(origin) !== undefined,
      restorePrefix: route.stripPrefix && route.prefix !== '/' ? route.prefix : ''
    },
    log
  }
  return {
    request (exchange: Exchange): void {
      (exchange as ProxyExchange).forward(upstream)
    },
    close (): void {
      upstream.responseDeadlines.close()
      upstream.idleDeadlines.close()
    }
  }
}

/** The path sent upstream: the request target, without the route prefix when the route strips it. */
export function upstreamPath (url: string, route: { prefix: string, stripPrefix: boolean }): string {
  if (!route.stripPrefix || route.prefix === '/') return url
  const rest = url.slice(route.prefix.length)
  return rest === '' ? '/' : rest.charCodeAt(0) === 47 /* / */ ? rest : '/' + rest
}

/** The client request's headers as sent to `target` (one pass; see `upstreamRequestHeaders`). */
function forwardedRequestHeaders (req: ClientRequest, trust: TrustFunction, target: Target): string[] {
  const socket = req.socket as { remoteAddress?: string, encrypted?: boolean } | null
  const peer = socket?.remoteAddress
  return upstreamRequestHeaders(req.rawHeaders, req.headers.connection, {
    peerAddress: peer,
    peerTrusted: peer !== undefined && trust(peer, 0),
    protocol: socket?.encrypted === true ? 'https' : 'http',
    host: req.headers.host ?? (req.headers[':authority'] as string | undefined),
    upstreamHost: target.hostHeader
  })
}

function applyOverrides (headers: string[], overrides: ReadonlyArray<string | undefined>): void {
  for (let i = 0; i < overrides.length; i += 2) {
    const name = overrides[i] as string
    for (let j = headers.length - 2; j >= 0; j -= 2) if (headers[j] === name) headers.splice(j, 2)
    const value = overrides[i + 1]
    if (value !== undefined) headers.push(name, value)
  }
}

/**
 * Whether the client's request has a body: HTTP/1.1 says so with
 * `Transfer-Encoding` or a non-zero `Content-Length`; an HTTP/2 request may
 * carry a body with neither, and has none only when its HEADERS frame ended
 * the stream.
 */
function hasBody (req: ClientRequest): boolean {
  const headers = req.headers
  if (headers['transfer-encoding'] !== undefined) return true
  const length = headers['content-length']
  if (length !== undefined) return length !== '0'
  const stream = (req as Http2ServerRequest).stream as Http2ServerRequest['stream'] | undefined
  return stream !== undefined && !stream.endAfterHeaders
}

/**
 * Pass a backend's `103 Early Hints` on (its `Link` fields); never stored,
 * never the final response, never a reason to fail the request. Node's
 * `writeEarlyHints` takes one link per array member and throws on anything
 * else (a backend's `Link: <a>; rel=preload, <b>; rel=preload` in one field,
 * a quoted parameter with a space), so fields are split into members and
 * only the members it accepts are sent. No 1xx goes to an HTTP/1.0 client
 * (RFC 9110 §15.2).
 */
export function writeEarlyHints (res: ServerResponse, req: { httpVersionMajor: number, httpVersionMinor: number }, rawHeaders: ReadonlyArray<string | Buffer>): void {
  if (typeof res.writeEarlyHints !== 'function' || res.headersSent) return
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return
  const links: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toString('latin1').toLowerCase() !== 'link') continue
    for (const member of linkMembers(rawHeaders[i + 1]!.toString('latin1'))) {
      if (EARLY_HINT_LINK.test(member)) links.push(member)
    }
  }
  if (links.length === 0) return
  try {
    res.writeEarlyHints({ link: links })
  } catch {
    // A hint is an optimisation: the final response is what matters.
  }
}

/** The form of a link Node's `writeEarlyHints` accepts: `<uri>` then `; name[=value]` parameters without spaces. */
const EARLY_HINT_LINK = /^<[^>]*>(?:\s*;\s*[^;"\s]+(?:=(")?[^;"\s]*\1)?)*$/

/** The members of a `Link` field value, split at commas outside `<…>` and quotes (RFC 8288 §3), trimmed. */
export function linkMembers (value: string): string[] {
  const members: string[] = []
  let start = 0
  let inUri = false
  let inQuotes = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (inQuotes) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inQuotes = false
    } else if (inUri) {
      if (c === 62 /* > */) inUri = false
    } else if (c === 60 /* < */) {
      inUri = true
    } else if (c === 34) {
      inQuotes = true
    } else if (c === 44 /* , */) {
      const member = value.slice(start, i).trim()
      if (member !== '') members.push(member)
      start = i + 1
    }
  }
  const last = value.slice(start).trim()
  if (last !== '') members.push(last)
  return members
}

/**
 * `RouteFacts.fetchUpstream` of a route: the exchange's request sent once
 * more, in the background, to a target the pool picks, with the request's
 * own peer and upstream headers (plus `overrides`), and the whole response
 * collected (bodies over `maxBodyBytes` are dropped). Outcomes feed passive
 * health like any request.
 */
export function createUpstreamFetcher (route: { pool: Pool, prefix: string, stripPrefix: boolean, trust: TrustFunction }): (exchange: Exchange, overrides: Array<string | undefined>, maxBodyBytes?: number) => Promise<UpstreamFetch> {
  const { pool, trust } = route
  return async (exchange, overrides, maxBodyBytes = Infinity) => {
    const target = pool.pickTarget(exchange)
    if (target === undefined) throw new NoTargetError()
    const req = exchange.req
    const headers = forwardedRequestHeaders(req, trust, target)
    for (const name of ['content-length', 'transfer-encoding']) overrides.push(name, undefined)
    applyOverrides(headers, overrides)
    return await new Promise<UpstreamFetch>((resolve, reject) => {
      const startedAt = Date.now()
      const chunks: Buffer[] = []
      let bytes = 0
      let status = 0
      let responseHeaders: string[] = []
      let abort: ((err: Error) => void) | undefined
      const timer = setTimeout(() => { abort?.(new ResponseTimeout()) }, pool.config.responseTimeoutMs)
      target.inFlight++
      const settle = (): void => { clearTimeout(timer); target.inFlight-- }
      // The whole fetch is bounded by `timer` (responseTimeoutMs), so no idle timeout of its own.
      pool.dispatcher.dispatch({ origin: target.origin, path: upstreamPath(exchange.url, route), method: 'GET', headers, headersTimeout: 0, bodyTimeout: 0 }, {
        onConnect (a: (err?: Error) => void) { abort = a },
        onHeaders (statusCode: number, raw: Array<string | Buffer>) {
          if (statusCode < 200) return true
          status = statusCode
          responseHeaders = clientResponseHeaders(raw).headers
          const now = Date.now()
          pool.reportResponse(target, statusCode, now - startedAt, now)
          return true
        },
        onData (chunk: Buffer) {
          bytes += chunk.length
          if (bytes <= maxBodyBytes) chunks.push(chunk)
          return true
        },
        onComplete () {
          settle()
          resolve({ status, headers: responseHeaders, body: bytes <= maxBodyBytes ? Buffer.concat(chunks, bytes) : undefined })
        },
        onError (err: Error & { code?: string }) {
          settle()
          if (status === 0) pool.reportFailure(target, err.code ?? '', CONNECT_FAILURES.has(err.code ?? ''), Date.now())
          reject(err)
        }
      } as Dispatcher.DispatchHandler)
    })
  }
}
