/**
 * The per-request state of a request on a gateway route: one object,
 * created by the route dispatcher (routes/dispatch.ts) when a route matched,
 * and written by each link of the chain in order (routes/chain.ts).
 *
 * Generic fields are the request, the route, the balancer's choice and the
 * response being written. A link that needs state of its own gets a slot
 * (`slots[i]`, allocated when its route is compiled), so this class names no
 * other plugin's fields.
 *
 * Writing a response is here too: `respond` (a link answers locally: a cache
 * hit, a 429, an error) and `startResponse` (the upstream's headers arrived)
 * both run the response halves of the links that ran before, then the
 * response filters, then write the head, so every response gets the same
 * treatment (security headers, compression, sticky cookie…).
 */
import { validateHeaderName, validateHeaderValue, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { Writable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import type { Pool, Target } from '../plugins/pools/index.js'
import { toErrorBody, type ErrorLike } from './errors.js'

export type ClientRequest = IncomingMessage | Http2ServerRequest
export type ClientResponse = ServerResponse | Http2ServerResponse

/** A body transform installed by a response half: gets the next writable, returns the one to write to. */
export type BodyStage = (next: Writable) => Writable

/**
 * What the exchange needs of a link: its response half (lib/link.ts's `Link`
 * has this shape and more; the exchange runs only this part of it, so it
 * needs nothing else from there).
 */
export interface ResponseHalf {
  readonly response?: ((exchange: Exchange) => void) | undefined
}

/** What the exchange needs of its compiled route. */
export interface ExchangeRoute {
  readonly prefix: string
  readonly pool: Pool
  readonly stripPrefix: boolean
  /** Active links in chain order (request halves run in this order). */
  readonly links: readonly ResponseHalf[]
  /** Response filters, run after the response halves of `links`. */
  readonly filters: readonly ResponseHalf[]
  /** State slots the route's links asked for. */
  readonly slotCount: number
  readonly stats: RouteStats
}

/** Per-route counters (for /status and the status page), written by the exchange and the links. */
export interface RouteStats {
  /** Requests that matched the route. */
  requests: number
  /** Responses by status class: index 1–5 for 1xx–5xx. */
  readonly responsesByClass: number[]
  /** Requests refused by the route's rate limits. */
  rateLimited: number
  /** Cache lookups answered from the cache, and all lookups. */
  cacheHits: number
  cacheLookups: number
}

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * In-flight upstream requests of one client connection, kept on the
 * connection object itself (the HTTP/2 session; the socket for HTTP/1.1,
 * where pipelining can hold several): the balancer link refuses a
 * connection more than its fair share of a target's connections.
 */
const CONNECTION_IN_FLIGHT = Symbol('switchyard.connectionInFlight')
interface CountedConnection { [CONNECTION_IN_FLIGHT]?: number }

export class Exchange {
  readonly request: FastifyRequest
  readonly req: ClientRequest
  readonly res: ClientResponse
  readonly route: ExchangeRoute
  readonly pool: Pool
  /** Epoch ms when the route matched. */
  readonly startedAt: number
  /** Request target (path and query), as routed. */
  readonly url: string
  /** Links' own per-request state, by the slot their route gave them. */
  readonly slots: unknown[] | undefined

  /** Index (in `route.links`) of the link whose request half runs now. */
  linkIndex = -1
  /** A response head has been (or is being) written: nothing may answer any more. */
  answered = false

  /** Target serving this request (changes on retry). */
  target: Target | undefined = undefined
  /** Target a link prefers (sticky pin): used by the balancer while it may serve. */
  preferred: Target | undefined = undefined
  /** Targets that failed this request, skipped by retries. */
  tried: Set<Target> | undefined = undefined
  /** Retries made so far. */
  retries = 0
  /** How the target was chosen, for logs: `balanced`, `sticky`, `retry`. */
  pickedBy = 'balanced'
  /** Request headers links set (or remove, with `undefined`) on the upstream request: flat name/value list. */
  upstreamHeaderOverrides: Array<string | undefined> | undefined = undefined

  /** Response status being written. */
  status = 0
  /** Response headers from the upstream (sanitized) or the answering link: flat lowercase name/value list. */
  responseHeaders: string[] = []
  /** Headers the gateway adds (cookie, rate-limit, cache-status, security): flat list, written after `responseHeaders`. */
  extraHeaders: string[] | undefined = undefined
  /** Body transforms, upstream side first. */
  bodyStages: BodyStage[] | undefined = undefined
  /** Body of a local answer (filters may replace it, e.g. compressed); `undefined` for a streamed body. */
  localBody: Buffer | null | undefined = undefined
  /** `true` when the response came from the upstream (not a local answer). */
  fromUpstream = false
  /** Time to the upstream's response headers (ms), -1 when none. */
  upstreamMs = -1
  /** Response body bytes written (before compression), for the access log. */
  bytesSent = 0
  /** Cache outcome for the access log (`hit`, `miss`, `stale`…), set by the cache link. */
  cacheStatus: string | undefined = undefined

  private ipCache: string | undefined = undefined
  /** Whether `target`'s in-flight count (and the client connection's) includes this request. */
  private inFlight = false
  /** The client connection counted while `inFlight`. */
  private countedConnection: CountedConnection | undefined = undefined

  constructor (request: FastifyRequest, res: ClientResponse, route: ExchangeRoute, url: string, startedAt: number) {
    this.request = request
    this.req = request.raw
    this.res = res
    this.route = route
    this.pool = route.pool
    this.url = url
    this.startedAt = startedAt
    this.slots = route.slotCount === 0 ? undefined : new Array(route.slotCount)
  }

  get method (): string {
    return this.req.method as string
  }

  get headers (): IncomingHttpHeaders {
    return this.req.headers
  }

  /** Client address: the peer, or the first untrusted hop of `X-Forwarded-For` (Fastify's `trustProxy`). */
  get ip (): string {
    if (this.ipCache === undefined) this.ipCache = this.request.ip
    return this.ipCache
  }

  /** Make `target` the one serving this request, counting it in flight (for the target and the client connection). */
  assign (target: Target): void {
    this.release()
    this.target = target
    target.inFlight++
    target.requests++
    this.inFlight = true
    const connection = this.clientConnection()
    if (connection !== undefined) {
      connection[CONNECTION_IN_FLIGHT] = (connection[CONNECTION_IN_FLIGHT] ?? 0) + 1
      this.countedConnection = connection
    }
  }

  /** Stop counting this request against its target and client connection. Idempotent. */
  release (): void {
    if (!this.inFlight) return
    this.inFlight = false
    if (this.target !== undefined) this.target.inFlight--
    const connection = this.countedConnection
    if (connection !== undefined) {
      connection[CONNECTION_IN_FLIGHT] = (connection[CONNECTION_IN_FLIGHT] as number) - 1
      this.countedConnection = undefined
    }
  }

  /** Upstream requests in flight for this request's client connection (this one not included unless assigned). */
  connectionInFlight (): number {
    return this.clientConnection()?.[CONNECTION_IN_FLIGHT] ?? 0
  }

  /** The client connection: the HTTP/2 session, or the HTTP/1.1 socket. */
  private clientConnection (): CountedConnection | undefined {
    const stream = (this.req as Http2ServerRequest).stream as Http2ServerRequest['stream'] | undefined
    if (stream !== undefined) return (stream.session ?? undefined) as CountedConnection | undefined
    return (this.req.socket ?? undefined) as CountedConnection | undefined
  }

  /** Note that the current target failed, so retries skip it. */
  markTried (): void {
    if (this.target === undefined) return
    if (this.tried === undefined) this.tried = new Set()
    this.tried.add(this.target)
  }

  /**
   * Set (or, with `undefined`, remove) a header of the upstream request.
   * Throws (Node's `ERR_INVALID_HTTP_TOKEN`/`ERR_INVALID_CHAR`) on a name that
   * is no token or a value with CR, LF or NUL: the transport writes the head
   * as given, and such a value would split the upstream request.
   */
  setUpstreamHeader (name: string, value: string | undefined): void {
    validateHeaderName(name)
    if (value !== undefined) validateHeaderValue(name, value)
    if (this.upstreamHeaderOverrides === undefined) this.upstreamHeaderOverrides = []
    this.upstreamHeaderOverrides.push(name, value)
  }

  /** Add a header of the gateway's own to the response (after the upstream's). */
  addResponseHeader (name: string, value: string): void {
    if (this.extraHeaders === undefined) this.extraHeaders = [name, value]
    else this.extraHeaders.push(name, value)
  }

  /** Transform the response body (stages are chained upstream side first). */
  addBodyStage (stage: BodyStage): void {
    if (this.bodyStages === undefined) this.bodyStages = [stage]
    else this.bodyStages.push(stage)
  }

  /**
   * A link answers locally: `headers` (flat, lowercase names) and a body. The
   * response halves of the links before the answering one run, then the
   * filters. `Content-Length` follows the final body.
   */
  respond (status: number, headers: readonly string[], body: Buffer | null): void {
    if (this.answered) return
    this.answered = true
    this.status = status
    this.responseHeaders = headers.slice()
    this.localBody = body
    this.runResponseHalves(this.linkIndex - 1)
    const final = this.localBody
    if (final !== null && final !== undefined) setHeader(this.responseHeaders, 'content-length', String(final.length))
    this.writeHead()
    const res = this.res as ServerResponse
    if (final === null || final === undefined || this.req.method === 'HEAD' || status === 204 || status === 304) {
      res.end()
    } else {
      this.bytesSent = final.length
      res.end(final)
    }
  }

  /** Answer with the gateway's JSON error body for `error` (its status), plus `headers`. */
  respondError (error: ErrorLike, headers?: readonly string[]): void {
    const body = toErrorBody(error)
    const list = headers === undefined ? ['content-type', JSON_TYPE] : ['content-type', JSON_TYPE, ...headers]
    this.respond(body.statusCode, list, Buffer.from(JSON.stringify(body)))
  }

  /**
   * The upstream's response head arrived (`status`, sanitized `headers`):
   * run the response halves and filters, write the head, and return where
   * the body goes (the client response, or the first body stage).
   */
  startResponse (status: number, headers: string[]): Writable {
    this.answered = true
    this.fromUpstream = true
    this.status = status
    this.responseHeaders = headers
    this.runResponseHalves(this.linkIndex - 1)
    this.writeHead()
    let sink = this.res as unknown as Writable
    const stages = this.bodyStages
    if (stages !== undefined) for (let i = stages.length - 1; i >= 0; i--) sink = (stages[i] as BodyStage)(sink)
    return sink
  }

  /** Response halves of links `from`…0, then the filters. */
  private runResponseHalves (from: number): void {
    const links = this.route.links
    for (let i = from < links.length ? from : links.length - 1; i >= 0; i--) {
      const response = (links[i] as ResponseHalf).response
      if (response !== undefined) response(this)
    }
    const filters = this.route.filters
    for (let i = 0; i < filters.length; i++) (filters[i] as ResponseHalf).response?.(this)
  }

  private writeHead (): void {
    const headers = this.responseHeaders
    const extra = this.extraHeaders
    if (extra !== undefined) for (let i = 0; i < extra.length; i++) headers.push(extra[i] as string)
    ;(this.res as ServerResponse).writeHead(this.status, headers)
    const statusClass = (this.status / 100) | 0
    if (statusClass >= 1 && statusClass <= 5) (this.route.stats.responsesByClass[statusClass] as number)++
  }
}

/** Value of header `name` (lowercase) in a flat list, or undefined. */
export function getHeader (headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]
  return undefined
}

/** Replace (or add) header `name` in a flat list. */
export function setHeader (headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = value
      for (let j = i + 2; j < headers.length; j += 2) if (headers[j] === name) { headers.splice(j, 2); j -= 2 }
      return
    }
  }
  headers.push(name, value)
}

/** Remove every header `name` from a flat list. */
export function removeHeader (headers: string[], name: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === name) headers.splice(i, 2)
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Switchyard's state for this request; `null` outside gateway routes. */
    switchyard: Exchange | null
  }
  interface FastifyContextConfig {
    /** `true` on the gateway's dispatcher route. */
    switchyard?: boolean
  }
}
