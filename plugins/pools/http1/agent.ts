/**
 * The pool's transport to plain-HTTP targets: per target origin, up to
 * `connections` keep-alive HTTP/1.1 connections (`connection.ts`), requests
 * beyond that queued in order, idle connections closed after the keep-alive
 * timeout. It has undici `Agent`'s dispatch API (legacy handler), so the
 * forwarder and the reload swap (`SwappableDispatcher`) don't tell them
 * apart; what it does not carry (`https:` origins, upgrades, object-form
 * headers) goes to an undici Agent made on first need.
 *
 * Why not undici for everything: on the 1 KB forwarding case its client
 * cost ~18 µs of CPU per request more than this (lean forwarder 60 → 42 µs,
 * same run; see the README), mostly llhttp-in-WebAssembly calling back into
 * JS for each header and the Buffers it makes of them. Framework-free.
 */
import type { Dispatcher as UndiciDispatcher } from 'undici'
import { PromiseDispatcher } from '../dispatcher.js'
import { Http1Connection, type ConnectionOwner, type Http1Handler, type Http1Request } from './connection.js'
import { TransportError } from './request-body.js'
import { HTTPParser } from './parser.js'

export interface Http1AgentOptions {
  /** Connections per target origin; requests beyond them wait in order. */
  connections: number
  keepAliveTimeoutMs: number
  connectTimeoutMs: number
}

/** undici's rule for a request target: printable bytes, no spaces or controls. */
const INVALID_PATH = /[^\u0021-\u00ff]/
/** How often idle connections past their keep-alive time are closed. */
const SWEEP_INTERVAL_MS = 250

/** `true` when this Node exposes the native parser the transport needs. */
export const http1TransportAvailable = HTTPParser !== undefined

export class Http1Agent extends PromiseDispatcher {
  private readonly options: Http1AgentOptions
  private readonly origins = new Map<string, OriginPool>()
  private readonly makeFallback: () => UndiciDispatcher
  private fallback: UndiciDispatcher | undefined = undefined
  private closed = false

  /** `makeFallback`: the undici dispatcher for what this transport does not carry, made on first need. */
  constructor (options: Http1AgentOptions, makeFallback: () => UndiciDispatcher) {
    super()
    this.options = options
    this.makeFallback = makeFallback
  }

  override dispatch (options: UndiciDispatcher.DispatchOptions, handler: UndiciDispatcher.DispatchHandler): boolean {
    const http1Handler = handler as unknown as Http1Handler
    if (this.closed) {
      // Before the fallback: one made now would never be closed.
      http1Handler.onError(new TransportError('UND_ERR_CLOSED', 'The client is closed'))
      return true
    }
    const origin = options.origin
    if (typeof origin !== 'string' || !origin.startsWith('http://') || !Array.isArray(options.headers) || options.upgrade != null || options.method === 'CONNECT') {
      return (this.fallback ??= this.makeFallback()).dispatch(options, handler)
    }
    if (INVALID_PATH.test(options.path)) {
      http1Handler.onError(new TransportError('UND_ERR_INVALID_ARG', 'invalid request path'))
      return true
    }
    if (fixedBodyMismatch(options.headers, options.body)) {
      // Sent as is, the missing or extra bytes would frame the next request on the connection (undici refuses it too).
      http1Handler.onError(new TransportError('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'Request body length does not match content-length header'))
      return true
    }
    let pool = this.origins.get(origin)
    if (pool === undefined) {
      pool = new OriginPool(origin, this.options)
      this.origins.set(origin, pool)
    }
    pool.dispatch(options as unknown as Http1Request, http1Handler)
    return true
  }

  protected override async closeAll (): Promise<void> {
    this.closed = true
    await Promise.all([...[...this.origins.values()].map(async (pool) => { await pool.close() }), this.fallback?.close()])
  }

  protected override async destroyAll (err: Error | null): Promise<void> {
    this.closed = true
    await Promise.all([...[...this.origins.values()].map(async (pool) => { await pool.destroy(err) }), this.fallback?.destroy(err)])
  }
}

/** A Buffer or string body that its `content-length` header gives another length. */
function fixedBodyMismatch (headers: readonly string[], body: unknown): boolean {
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return false
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'content-length') return Number(headers[i + 1]) !== Buffer.byteLength(body)
  }
  return false
}

/** A request waiting for (or carried by) a connection of one origin. */
interface PendingRequest {
  readonly request: Http1Request
  readonly handler: Http1Handler
  connection: Http1Connection | undefined
  /** Ended before it got a connection (aborted while queued, or the pool was destroyed). */
  ended: boolean
}

/** The connections to one target origin. */
class OriginPool implements ConnectionOwner {
  readonly host: string
  readonly port: number
  readonly connectTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  private readonly maxConnections: number
  private readonly all = new Set<Http1Connection>()
  /** Idle connections, the most recently used last (taken first: warm, and the others may expire). */
  private readonly idle: Http1Connection[] = []
  private readonly queue: PendingRequest[] = []
  private sweepTimer: NodeJS.Timeout | undefined = undefined
  private closed = false
  private whenEmpty: Array<() => void> = []

  constructor (origin: string, options: Http1AgentOptions) {
    const url = new URL(origin)
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    this.port = url.port === '' ? 80 : Number(url.port)
    this.connectTimeoutMs = options.connectTimeoutMs
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs
    this.maxConnections = options.connections
  }

  dispatch (request: Http1Request, handler: Http1Handler): void {
    const pending: PendingRequest = { request, handler, connection: undefined, ended: false }
    // The handler may abort at once (its client is gone) or at any time later, queued or in flight.
    handler.onConnect((err?: Error) => { this.abort(pending, err ?? new TransportError('UND_ERR_ABORTED', 'Request aborted')) })
    if (pending.ended) return
    const connection = this.take()
    if (connection === undefined) {
      this.queue.push(pending)
      return
    }
    pending.connection = connection
    connection.send(request, handler)
  }

  release (connection: Http1Connection): void {
    const next = this.queue.shift()
    if (next !== undefined) {
      next.connection = connection
      connection.send(next.request, next.handler)
      return
    }
    if (this.closed) {
      connection.close()
      return
    }
    this.idle.push(connection)
  }

  remove (connection: Http1Connection): void {
    if (!this.all.delete(connection)) return
    const index = this.idle.indexOf(connection)
    if (index !== -1) this.idle.splice(index, 1)
    if (this.queue.length > 0) {
      // A connection slot came free: the next waiting request gets a new connection.
      const fresh = this.take()
      const next = fresh === undefined ? undefined : this.queue.shift()
      if (fresh !== undefined && next !== undefined) {
        next.connection = fresh
        fresh.send(next.request, next.handler)
      }
    }
    if (this.all.size === 0) {
      clearInterval(this.sweepTimer)
      this.sweepTimer = undefined
      if (this.queue.length === 0) for (const resolve of this.whenEmpty.splice(0)) resolve()
    }
  }

  /** No new connections wanted: idle ones close now, busy ones when their request (and the queue) is done. */
  async close (): Promise<void> {
    this.closed = true
    for (const connection of this.idle.splice(0)) connection.close()
    await this.empty()
  }

  /** Everything ends now: waiting and running requests hear `err`. */
  async destroy (err: Error | null): Promise<void> {
    this.closed = true
    const reason = err ?? new TransportError('UND_ERR_DESTROYED', 'The client is destroyed')
    for (const pending of this.queue.splice(0)) {
      pending.ended = true
      pending.handler.onError(reason)
    }
    for (const connection of [...this.all]) connection.destroy(reason)
    await this.empty()
  }

  private async empty (): Promise<void> {
    if (this.all.size === 0) return
    await new Promise<void>((resolve) => { this.whenEmpty.push(resolve) })
  }

  private abort (pending: PendingRequest, err: Error): void {
    if (pending.ended) return
    const connection = pending.connection
    if (connection !== undefined) {
      connection.abort(pending.handler, err)
      return
    }
    pending.ended = true
    const index = this.queue.indexOf(pending)
    if (index !== -1) this.queue.splice(index, 1)
    pending.handler.onError(err)
  }

  /** An idle connection that can still carry a request, or a new one when the cap allows. */
  private take (): Http1Connection | undefined {
    for (let connection = this.idle.pop(); connection !== undefined; connection = this.idle.pop()) {
      if (connection.usable) return connection
      connection.close()
    }
    if (this.all.size >= this.maxConnections) return undefined
    const connection = new Http1Connection(this)
    this.all.add(connection)
    this.sweepTimer ??= setInterval(() => { this.sweep() }, SWEEP_INTERVAL_MS).unref()
    return connection
  }

  /** Close idle connections past their keep-alive time. */
  private sweep (): void {
    const now = Date.now()
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const connection = this.idle[i] as Http1Connection
      if (connection.expiresAt <= now) {
        this.idle.splice(i, 1)
        connection.close()
      }
    }
  }
}
