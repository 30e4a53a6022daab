/**
 * The byte pump of a Layer 4 TCP connection, one `Pump` per direction
 * (`tcp-listener.ts` makes two per connection). Framework-free.
 *
 * Where a plain `from.on('data', c => to.write(c))` pump spends its time (measured with
 * `bench/l4.ts`): a fresh 64 KiB Buffer per read (allocation, page faults, GC), and a
 * `pause()`/`resume()` — `readStop`/`readStart`, an `epoll_ctl` each — per chunk, because
 * a 64 KiB write always passes the 16 KiB high-water mark. This pump instead:
 * - reads into its own buffer through Node's `onread` (no Buffer allocated per read); the
 *   buffer is 16 KiB (nginx's and HAProxy's default) and grows to 256 KiB once a read
 *   fills it (bulk), shrinking back after a run of small reads, so an idle or chatty
 *   connection holds 32 KiB and a bulk one at most 512 KiB; buffers come from the
 *   listener's `PumpBuffers` and go back to it when the connection ends;
 * - writes each read to `to` at once; stops reading only when that write did not go to
 *   the kernel whole (the buffer must not be reused under it), and reads again when it has;
 * - passes `end` on (half-close: the other direction keeps flowing);
 * - before `to` is set, keeps what is read (the TLS ClientHello an SNI listener peeks at)
 *   for `flushHeld`, up to `MAX_HELD_BYTES`, then stops reading.
 *
 * `onread` is an option of the `Socket` constructor only (Node's `net.Server` has none): the
 * listener makes the client's `Socket` itself on the accepted handle (`interceptConnections`,
 * or `adoptAccepted` moving an accepted socket's handle to a new `Socket`).
 * Errors and closes are the connection's business: it destroys both sockets.
 */
import { Socket, type Server } from 'node:net'
import { getSystemErrorName } from 'node:util'

/** First read buffer of each direction (nginx `proxy_buffer_size`, HAProxy `tune.bufsize`). */
export const SMALL_BUFFER_BYTES = 16 * 1024
/** Read buffer of a direction moving bulk data: 256 KiB halves the CPU per MB against 64 KiB. */
export const BULK_BUFFER_BYTES = 256 * 1024
/** Reads that fit the small buffer, in a row, after which a bulk buffer is given back. */
export const SMALL_READS_BEFORE_SHRINK = 16
/** What is kept before `to` is set: a whole TLS record (5 + 65,535 bytes) and a little. */
export const MAX_HELD_BYTES = 5 + 0xffff + 1024

/** Bounds of what a listener's `PumpBuffers` keep for reuse (4 MiB each at most). */
export const MAX_KEPT_SMALL_BUFFERS = 256
export const MAX_KEPT_BULK_BUFFERS = 16

/**
 * Read buffers of one size that a listener's pumps take and give back: a new
 * connection reuses a closed one's instead of allocating (a 16 KiB ArrayBuffer per
 * direction per connection doubled the CPU per short connection, in GC).
 */
export class ReadBufferPool {
  private readonly free: Buffer[] = []

  constructor (readonly bytes: number, private readonly maxKept: number) {}

  take (): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.bytes)
  }

  /** Give back a buffer that no socket reads into and no write points into any more. */
  give (buffer: Buffer): void {
    if (this.free.length < this.maxKept) this.free.push(buffer)
  }
}

/** A listener's buffers: the small ones every direction starts with, the bulk ones it grows to. */
export interface PumpBuffers {
  small: ReadBufferPool
  bulk: ReadBufferPool
}

export function createPumpBuffers (): PumpBuffers {
  return {
    small: new ReadBufferPool(SMALL_BUFFER_BYTES, MAX_KEPT_SMALL_BUFFERS),
    bulk: new ReadBufferPool(BULK_BUFFER_BYTES, MAX_KEPT_BULK_BUFFERS)
  }
}

/** The `onread` option a `Socket` is made with. */
export interface OnRead {
  buffer: () => Uint8Array
  callback: (bytesRead: number, buffer: Uint8Array) => boolean
}

export class Pump {
  /** Options for the `from` socket's constructor (`net.connect` or `adoptAccepted`). */
  readonly onread: OnRead
  /** Called with what was kept, each time more is (before `to` is set). */
  onHeld: ((held: Buffer) => void) | undefined
  private from: Socket | undefined
  private to: Socket | undefined
  private readonly buffers: PumpBuffers
  private readonly small: Buffer
  private buffer: Buffer
  private smallReadsInARow = 0
  private released = false
  /** Reading stopped until `to` has flushed. */
  private waiting = false
  private held: Buffer[] = []
  private heldBytes = 0
  /** `from` ended before `to` was set. */
  private endHeld = false
  private readonly flushed: (err?: Error | null) => void

  constructor (buffers: PumpBuffers) {
    this.buffers = buffers
    this.small = buffers.small.take()
    this.buffer = this.small
    this.onread = onReadOf(this)
    this.flushed = flushedOf(this)
  }

  /** The socket made with `onread`; nothing flows until `start` (or `hold`). */
  attach (from: Socket): void {
    this.from = from
    from.on('end', () => {
      if (this.to !== undefined) this.to.end()
      else this.endHeld = true
    })
  }

  /** Keep what `from` sends (until `start`). */
  hold (): void {
    this.from?.resume()
  }

  /** Stop reading (without losing anything); `start` reads again. */
  stop (): void {
    this.from?.pause()
  }

  /** Pipe `from` → `to`: what was held goes first, then what is read. */
  start (to: Socket): void {
    this.to = to
    const held = this.held
    this.held = []
    for (const chunk of held) to.write(chunk, this.flushed)
    if (this.endHeld) {
      to.end()
      return
    }
    // Reading resumes when what was held has gone to the kernel (`flushed`).
    if (to.writableLength > 0) this.waiting = true
    else this.from?.resume()
  }

  /**
   * Give the buffers back to the listener's pool. Only once `from` is destroyed (its
   * handle closed: nothing reads into them) and `to` too (its pending writes are dropped).
   */
  release (): void {
    if (this.released) return
    this.released = true
    if (this.buffer !== this.small) this.buffers.bulk.give(this.buffer)
    this.buffers.small.give(this.small)
  }

  /** The buffer the next read goes into. */
  nextBuffer (): Buffer {
    return this.buffer
  }

  /** A write of this pump has gone to the kernel (or failed): read again if it was the last. */
  onFlushed (err?: Error | null): void {
    if (err == null && this.waiting && this.to !== undefined && this.to.writableLength === 0) {
      this.waiting = false
      this.from?.resume()
    }
  }

  onRead (bytesRead: number, buffer: Buffer): boolean {
    const to = this.to
    if (to === undefined) return this.keep(buffer, bytesRead)
    to.write(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), this.flushed)
    const pending = to.writableLength > 0
    this.resize(bytesRead, pending)
    if (!pending) return true
    // The write waits on the kernel and points into `buffer`: read again once it is done.
    this.waiting = true
    return false
  }

  /** Pick the buffer of the next read (`onread.buffer` is asked after each read). */
  private resize (bytesRead: number, pending: boolean): void {
    if (bytesRead === this.buffer.length) {
      this.smallReadsInARow = 0
      if (this.buffer === this.small) this.buffer = this.buffers.bulk.take()
    } else if (this.buffer !== this.small && bytesRead <= SMALL_BUFFER_BYTES &&
        ++this.smallReadsInARow >= SMALL_READS_BEFORE_SHRINK) {
      this.smallReadsInARow = 0
      // A bulk buffer a pending write points into is left to the GC, not reused.
      if (!pending) this.buffers.bulk.give(this.buffer)
      this.buffer = this.small
    }
  }

  private keep (buffer: Buffer, bytesRead: number): boolean {
    const chunk = Buffer.from(buffer.subarray(0, bytesRead))
    this.held.push(chunk)
    this.heldBytes += bytesRead
    this.onHeld?.(chunk)
    return this.heldBytes < MAX_HELD_BYTES
  }
}

// The per-pump closures are made by functions (not as named properties): under tsx
// (esbuild `keepNames`) each named function expression costs a `__name` call, ~0.5 µs.
function onReadOf (pump: Pump): OnRead {
  return { buffer: bufferOf(pump), callback: callbackOf(pump) }
}

function bufferOf (pump: Pump): OnRead['buffer'] {
  return () => pump.nextBuffer()
}

function callbackOf (pump: Pump): OnRead['callback'] {
  return (bytesRead, buffer) => pump.onRead(bytesRead, buffer as Buffer)
}

function flushedOf (pump: Pump): (err?: Error | null) => void {
  return (err) => { pump.onFlushed(err) }
}

/** Options of the `Socket`s a listener pumps: both directions of a connection stay open alone. */
export const SOCKET_OPTIONS = { allowHalfOpen: true, noDelay: true } as const

/** A libuv TCP handle as Node keeps it on a `Socket` or `Server` (`_handle`). */
type Handle = object

/**
 * A `Socket` on a connected TCP `handle`, reading through `onread`, not reading until
 * resumed. Node's `net.Server` has no `onread` option, so the listener takes the handles
 * of its connections itself (`interceptConnections`, else `adoptAccepted`).
 */
export function socketOnHandle (handle: Handle, onread: OnRead): Socket {
  // `noDelay` is not passed: on a socket made on a handle it is only noted, and would
  // make the `setNoDelay(true)` that sets it on the handle a no-op.
  const socket = new Socket({ handle, pauseOnCreate: true, onread, allowHalfOpen: true } as ConstructorParameters<typeof Socket>[0])
  socket.setNoDelay(true)
  return socket
}

/**
 * Take the connections of a listening `server` straight from its handle, as `onHandle(handle)`,
 * instead of as the `Socket` that `net.Server` makes for each (it would be a second Socket per
 * connection: its construction and destruction cost ~25 µs, a tenth of a short connection).
 * The server's `connection` event, connection count and `maxConnections` are bypassed; its
 * `close()` stops accepting and no longer waits for them. False when the handle is not
 * there (another Node): then use the `connection` event and `adoptAccepted`.
 */
export function interceptConnections (server: Server, onHandle: (handle: Handle) => void, onError: (code: string) => void): boolean {
  const listening = (server as unknown as { _handle?: { onconnection?: unknown } | null })._handle
  if (listening == null || typeof listening.onconnection !== 'function') return false
  listening.onconnection = (err: number, handle: Handle | undefined) => {
    if (err !== 0 || handle === undefined) onError(err !== 0 ? getSystemErrorName(err) : 'ENOHANDLE')
    else onHandle(handle)
  }
  return true
}

/**
 * A new `Socket` on the handle of `accepted` (a `net.Server` connection, made with
 * `pauseOnConnect`), reading through `onread`; `accepted` is left without a handle and
 * destroyed. Returns undefined (and destroys `accepted`) when there is no handle to take.
 */
export function adoptAccepted (accepted: Socket, onread: OnRead): Socket | undefined {
  const owner = accepted as unknown as { _handle: unknown }
  const handle = owner._handle
  if (handle === null || typeof handle !== 'object' || typeof (handle as { readStart?: unknown }).readStart !== 'function') {
    accepted.destroy()
    return undefined
  }
  const socket = socketOnHandle(handle, onread)
  owner._handle = null
  accepted.destroy()
  return socket
}
