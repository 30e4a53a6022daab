/**
 * One keep-alive HTTP/1.1 connection to a target, carrying one request at a
 * time: the request head written as one string, the body streamed with
 * backpressure (`request-body.ts`: as is, or chunked when it has no length), the response
 * parsed by Node's native llhttp reading straight from the socket handle
 * (`parser.ts`), and handed to a handler with undici's dispatch-handler
 * shape (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`), so
 * the forwarder does not know which transport carried it.
 *
 * Failures come back with the codes undici gives (the forwarder sorts them
 * into connect failures, resets and the rest): the socket's own (`ECONNREFUSED`,
 * `ECONNRESET`…), `UND_ERR_CONNECT_TIMEOUT`, `UND_ERR_SOCKET` (closed before the
 * response ended), `HPE_*` (a malformed response). Framework-free.
 */
import { connect, type Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { HTTPParser, type NativeHttpParser, type NativeHttpParserClass } from './parser.js'
import { TransportError, writeRequestBody } from './request-body.js'

/** What the connection calls back (undici's legacy dispatch handler, headers as strings). */
export interface Http1Handler {
  onConnect (abort: (err?: Error) => void): void
  onHeaders (statusCode: number, headers: string[], resume: () => void, statusText: string): boolean
  onData (chunk: Buffer): boolean
  onComplete (trailers: string[] | null): void
  onError (err: Error): void
}

export interface Http1Request {
  readonly path: string
  readonly method: string
  /** Flat `[name, value, …]` list, names lowercase. */
  readonly headers: readonly string[]
  readonly body?: Readable | Buffer | string | null | undefined
}

/** What a connection needs of the pool that owns it. */
export interface ConnectionOwner {
  readonly host: string
  readonly port: number
  readonly connectTimeoutMs: number
  /** Keep-alive lifetime of an idle connection, unless the target's `Keep-Alive: timeout` asks for less. */
  readonly keepAliveTimeoutMs: number
  /** The response is complete and the connection may carry another request. */
  release (connection: Http1Connection): void
  /** The connection is gone (closed, failed, not reusable). */
  remove (connection: Http1Connection): void
}

/** Methods whose requests carry a body by definition: sent with `content-length: 0` when there is none (as undici does). */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH'])
/** Subtracted from a target's `Keep-Alive: timeout` hint, so that we close first (undici's threshold). */
const KEEP_ALIVE_HINT_MARGIN_MS = 1_000
const KEEP_ALIVE_MAX_MS = 600_000
const NO_BODY_STATUS_SKIP = 1

export class Http1Connection {
  readonly socket: Socket
  /** Epoch ms after which an idle connection is closed (set on release). */
  expiresAt = 0
  private readonly owner: ConnectionOwner
  private readonly parser: NativeHttpParser
  private handler: Http1Handler | null = null
  private connected = false
  private connectTimer: NodeJS.Timeout | undefined
  /** The socket handle the parser reads from (undefined: JS `data` events feed it). */
  private consumed: { readStart: () => number, readStop: () => number, reading: boolean } | undefined
  private headRequest = false
  /** A 1xx response is being parsed: its end is not the request's. */
  private informational = false
  private keepAlive = true
  private keepAliveMs: number
  private flushedHeaders: string[] | undefined = undefined
  /** The request body being written (detached when it ends or the request does). */
  private body: Readable | undefined = undefined
  private bodyWritten = true
  /** The response ended and the connection may carry another request, once the rest of this read is parsed. */
  private releasePending = false
  private readonly resume = (): void => { this.resumeReading() }

  constructor (owner: ConnectionOwner, Parser: NativeHttpParserClass = HTTPParser as NativeHttpParserClass) {
    this.owner = owner
    this.keepAliveMs = owner.keepAliveTimeoutMs
    const socket = this.socket = connect({ host: owner.host, port: owner.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 })
    const parser = this.parser = new Parser()
    parser.initialize(Parser.RESPONSE, {}, 0, 0)
    parser[Parser.kOnMessageBegin] = () => {
      // A response nobody asked for (behind the last one, or on an idle connection): the connection can't be trusted any more.
      if (this.handler === null) this.dropStray()
    }
    parser[Parser.kOnHeaders] = (headers: string[]) => {
      this.flushedHeaders = this.flushedHeaders === undefined ? headers : this.flushedHeaders.concat(headers)
    }
    parser[Parser.kOnHeadersComplete] = this.onHeadersComplete.bind(this)
    parser[Parser.kOnBody] = (chunk: Buffer) => {
      if (this.informational) return
      const handler = this.handler
      if (handler === null) return
      try {
        if (!handler.onData(chunk)) this.pauseReading()
      } catch (err) {
        this.fail(err as Error)
      }
    }
    parser[Parser.kOnMessageComplete] = () => { this.onMessageComplete() }
    parser[Parser.kOnExecute] = (ret: number | Error) => {
      if (ret instanceof Error) this.fail(ret)
      else this.afterRead()
    }
    if (owner.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        this.fail(new TransportError('UND_ERR_CONNECT_TIMEOUT', 'Connect timeout'))
      }, owner.connectTimeoutMs)
    }
    socket.once('connect', () => { this.onConnected() })
    socket.on('error', (err) => { this.fail(err) })
    socket.once('end', () => { this.onEnd() })
    socket.once('close', () => { this.onClose() })
  }

  /** Whether an idle connection can take a request now (the target may have closed it meanwhile). */
  get usable (): boolean {
    return this.handler === null && this.socket.writable && !this.socket.destroyed
  }

  /** Send `request` (its path checked by the pool); `handler` hears how it went. */
  send (request: Http1Request, handler: Http1Handler): void {
    this.handler = handler
    this.headRequest = request.method === 'HEAD'
    this.informational = false
    this.keepAlive = true
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`
    const headers = request.headers
    let length = -1
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string
      const value = headers[i + 1] as string
      if (name === 'content-length') length = Number(value)
      head += `${name}: ${value}\r\n`
    }
    const body = request.body
    let chunked = false
    if (body === null || body === undefined) {
      if (length === -1 && EXPECTS_PAYLOAD.has(request.method)) head += 'content-length: 0\r\n'
    } else if (typeof body === 'string' || Buffer.isBuffer(body)) {
      if (length === -1) head += `content-length: ${Buffer.byteLength(body)}\r\n`
    } else if (length === -1) {
      chunked = true
      head += 'transfer-encoding: chunked\r\n'
    }
    head += 'connection: keep-alive\r\n\r\n'
    this.socket.write(head, 'latin1')
    if (body === null || body === undefined) {
      this.bodyWritten = true
    } else if (typeof body === 'string' || Buffer.isBuffer(body)) {
      this.bodyWritten = true
      this.socket.write(body)
    } else {
      this.bodyWritten = false
      this.body = body
      // A deferred body is read only once the connection is up: a failed connect leaves it untouched (retryable).
      if (this.connected) this.writeBody(body, chunked, length)
      else this.socket.once('connect', () => { if (this.body === body) this.writeBody(body, chunked, length) })
    }
  }

  /** End the request `handler` is waiting for with `err`, and the connection with it. */
  abort (handler: Http1Handler, err: Error): void {
    if (this.handler === handler) this.fail(err)
  }

  /** End the connection now; a request in flight hears `err`. */
  destroy (err: Error): void {
    this.fail(err)
  }

  /** Close the connection (idle, expired, or the pool is closing). */
  close (): void {
    this.socket.destroy()
  }

  private writeBody (body: Readable, chunked: boolean, length: number): void {
    this.detachBodyListeners = writeRequestBody(this.socket, body, chunked, length, {
      failed: (err) => { this.fail(err) },
      finished: () => {
        this.bodyWritten = true
        this.detachBody()
      }
    })
  }

  private detachBodyListeners: (() => void) | undefined = undefined

  private detachBody (): void {
    const body = this.body
    if (body === undefined) return
    this.body = undefined
    this.detachBodyListeners?.()
    this.detachBodyListeners = undefined
    if (!this.bodyWritten && !body.destroyed) body.destroy()
  }

  private onConnected (): void {
    this.connected = true
    clearTimeout(this.connectTimer)
    this.connectTimer = undefined
    const handle = (this.socket as unknown as { _handle?: { isStreamBase?: boolean, _consumed?: boolean, readStart: () => number, readStop: () => number, reading: boolean } })._handle
    if (handle?.isStreamBase === true && handle._consumed !== true) {
      // The parser reads from the handle itself: no Buffer per read handed to JS, no `data` event.
      handle._consumed = true
      this.parser.consume(handle)
      this.consumed = handle
    } else {
      this.socket.on('data', (data: Buffer) => {
        const ret = this.parser.execute(data)
        if (ret instanceof Error) this.fail(ret)
        else this.afterRead()
      })
    }
  }

  private onHeadersComplete (_major: number, _minor: number, headers: string[] | undefined, _method: unknown, _url: unknown,
    statusCode: number, statusText: string, upgrade: boolean, shouldKeepAlive: boolean): number {
    const handler = this.handler
    let list = headers
    if (list === undefined) {
      list = this.flushedHeaders ?? []
      this.flushedHeaders = undefined
    }
    if (handler === null) {
      this.dropStray()
      return NO_BODY_STATUS_SKIP
    }
    if (upgrade || statusCode === 101) {
      this.fail(new TransportError('UND_ERR_SOCKET', 'the target switched protocols on a request that asked for no upgrade'))
      return NO_BODY_STATUS_SKIP
    }
    // A handler that throws fails its request, as undici turns it into an error: thrown
    // through the native parser's callback, it would end the process.
    try {
      if (statusCode < 200) {
        this.informational = true
        handler.onHeaders(statusCode, list, this.resume, statusText)
        return NO_BODY_STATUS_SKIP
      }
      this.keepAlive = shouldKeepAlive
      if (shouldKeepAlive) this.readKeepAliveHint(list)
      if (!handler.onHeaders(statusCode, list, this.resume, statusText)) this.pauseReading()
    } catch (err) {
      this.fail(err as Error)
      return NO_BODY_STATUS_SKIP
    }
    return this.headRequest ? NO_BODY_STATUS_SKIP : 0
  }

  /** A target's `Keep-Alive: timeout=N`: keep the idle connection a margin less than that (as undici does). */
  private readKeepAliveHint (headers: string[]): void {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string
      if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue
      const match = /timeout=(\d+)/i.exec(headers[i + 1] as string)
      if (match === null) return
      const hintMs = Number(match[1]) * 1000 - KEEP_ALIVE_HINT_MARGIN_MS
      if (hintMs < 1000) this.keepAlive = false
      else this.keepAliveMs = Math.min(hintMs, KEEP_ALIVE_MAX_MS, this.owner.keepAliveTimeoutMs)
      return
    }
  }

  private onMessageComplete (): void {
    this.flushedHeaders = undefined
    if (this.informational) {
      this.informational = false
      return
    }
    const handler = this.handler
    if (handler === null) return
    this.handler = null
    const reusable = this.keepAlive && this.bodyWritten
    // A response that came before the request body was all sent ends the connection (undici does the same).
    this.detachBody()
    this.resumeReading()
    try {
      handler.onComplete(null)
    } catch (err) {
      // Its response is over; the handler hears what went wrong, and the connection is not reused.
      this.socket.destroy()
      handler.onError(err as Error)
      return
    }
    // Not released from inside the parser: the rest of this read would be parsed as the next request's response.
    if (reusable && this.socket.writable) this.releasePending = true
    else this.socket.destroy()
  }

  /** A read was parsed: a response that ended in it hands the connection back, unless stray bytes followed it. */
  private afterRead (): void {
    if (!this.releasePending) return
    this.releasePending = false
    if (this.handler !== null || !this.socket.writable) return
    this.expiresAt = Date.now() + this.keepAliveMs
    this.owner.release(this)
  }

  private dropStray (): void {
    this.releasePending = false
    this.socket.destroy()
  }

  private onEnd (): void {
    // The target closed its side: a body delimited by the close ends here; anything else was cut short.
    if (this.handler !== null) {
      // finish() errs (HPE_INVALID_EOF_STATE) for a response cut short: that is undici's socket error to callers.
      this.parser.finish()
      if (this.handler !== null) this.fail(new TransportError('UND_ERR_SOCKET', 'other side closed'))
    }
    this.socket.destroy()
  }

  private onClose (): void {
    clearTimeout(this.connectTimer)
    this.fail(new TransportError('UND_ERR_SOCKET', 'other side closed'))
    this.owner.remove(this)
    const parser = this.parser
    const consumed = this.consumed !== undefined
    // Not from inside the parser's own callback (Node's freeParser defers it the same way).
    setImmediate(() => {
      if (consumed) {
        try { parser.unconsume() } catch {}
      }
      parser.close()
    })
  }

  /** The connection failed: the request in flight (if any) hears `err`, and the socket is closed. */
  private fail (err: Error): void {
    const handler = this.handler
    this.handler = null
    this.releasePending = false
    this.detachBody()
    if (!this.socket.destroyed) this.socket.destroy()
    if (handler !== null) handler.onError(err)
  }

  private pauseReading (): void {
    const handle = this.consumed
    if (handle === undefined) {
      this.socket.pause()
    } else if (handle.reading) {
      handle.reading = false
      handle.readStop()
    }
  }

  private resumeReading (): void {
    const handle = this.consumed
    if (handle === undefined) {
      if (this.socket.isPaused()) this.socket.resume()
    } else if (!handle.reading && !this.socket.destroyed) {
      handle.reading = true
      handle.readStart()
    }
  }
}
