/**
 * A request body handed to the transport that starts reading the client's
 * stream only when the transport first reads it (after the upstream
 * connection is up). If the connection fails first, the client's body is
 * untouched and the request can go to another target.
 */
import { Readable } from 'node:stream'
import { BodyTooLargeError } from '../../lib/errors.js'

export class DeferredBody extends Readable {
  private readonly source: Readable
  /** Bytes allowed through; more fails the body with `BodyTooLargeError` (route `bodyLimit`). */
  private readonly maxBytes: number
  private received = 0
  /** `true` once a byte may have been sent upstream: the body can't be replayed. */
  started = false

  constructor (source: Readable, maxBytes = Infinity) {
    super()
    this.source = source
    this.maxBytes = maxBytes
  }

  override _read (): void {
    if (this.started) {
      this.source.resume()
      return
    }
    this.started = true
    const source = this.source
    source.on('data', (chunk: Buffer) => {
      this.received += chunk.length
      // Counted as it streams (chunked bodies have no length up front); nothing is buffered.
      if (this.received > this.maxBytes) {
        this.destroy(new BodyTooLargeError())
        return
      }
      if (!this.push(chunk)) source.pause()
    })
    source.once('end', () => { this.push(null) })
    source.once('error', (err) => { this.destroy(err) })
    source.resume()
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.started) this.source.removeAllListeners('data').pause()
    callback(err)
  }
}
