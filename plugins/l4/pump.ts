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
 *   connection holds 32 KiB and a bulk one at most 512 KiB;
 * - writes each read to `to` at once; stops reading only when that write did not go to
 *   the kernel whole (the buffer must not be reused under it), and reads again when it has;
 * - passes `end` on (half-close: the other direction keeps flowing);
 * - before `to` is set, keeps what is read (the TLS ClientHello an SNI listener peeks at)
 *   for `flushHeld`, up to `MAX_HELD_BYTES`, then stops reading.
 *
 * `onread` is an option of the `Socket` constructor only; `adoptAccepted` moves an accepted
 * socket's handle to a new `Socket` made with it (Node's `net.Server` has no such option).
 * Errors and closes are the connection's business: it destroys both sockets.
 */
import { Socket } from 'node:net'

/** First read buffer of each direction (nginx `proxy_buffer_size`, HAProxy `tune.bufsize`). */
export const SMALL_BUFFER_BYTES = 16 * 1024
/** Read buffer of a direction moving bulk data: 256 KiB halves the CPU per MB against 64 KiB. */
export const BULK_BUFFER_BYTES = 256 * 1024
/** Reads that fit the small buffer, in a row, after which a bulk buffer is given back. */
export const SMALL_READS_BEFORE_SHRINK = 16
/** What is kept before `to` is set: a whole TLS record (5 + 65,535 bytes) and a little. */
export const MAX_HELD_BYTES = 5 + 0xffff + 1024

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
  private buffer: Buffer = Buffer.allocUnsafe(SMALL_BUFFER_BYTES)
  private readonly small: Buffer = this.buffer
  private smallReadsInARow = 0
  /** Reading stopped until `to` has flushed. */
  private waiting = false
  private held: Buffer[] = []
  private heldBytes = 0
  /** `from` ended before `to` was set. */
  private endHeld = false
  private readonly flushed: (err?: Error | null) => void

  constructor () {
    this.onread = {
      buffer: () => this.buffer,
      callback: (bytesRead, buffer) => this.onRead(bytesRead, buffer as Buffer)
    }
    this.flushed = (err) => {
      if (err == null && this.waiting && this.to !== undefined && this.to.writableLength === 0) {
        this.waiting = false
        this.from?.resume()
      }
    }
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

  private onRead (bytesRead: number, buffer: Buffer): boolean {
    const to = this.to
    if (to === undefined) return this.keep(buffer, bytesRead)
    to.write(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), this.flushed)
    this.resize(bytesRead)
    if (to.writableLength === 0) return true
    // The write waits on the kernel and points into `buffer`: read again once it is done.
    this.waiting = true
    return false
  }

  /** Pick the buffer of the next read (`onread.buffer` is asked after each read). */
  private resize (bytesRead: number): void {
    if (bytesRead === this.buffer.length) {
      this.smallReadsInARow = 0
      if (this.buffer === this.small) this.buffer = Buffer.allocUnsafe(BULK_BUFFER_BYTES)
    } else if (this.buffer !== this.small && bytesRead <= SMALL_BUFFER_BYTES &&
        ++this.smallReadsInARow >= SMALL_READS_BEFORE_SHRINK) {
      this.smallReadsInARow = 0
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

/** Options of the `Socket`s a listener pumps: both directions of a connection stay open alone. */
export const SOCKET_OPTIONS = { allowHalfOpen: true, noDelay: true } as const

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
  const socket = new Socket({ handle, pauseOnCreate: true, onread, ...SOCKET_OPTIONS } as ConstructorParameters<typeof Socket>[0])
  owner._handle = null
  accepted.destroy()
  return socket
}
