/**
 * A request body handed to the transport that starts reading the client's
 * stream only when the transport first reads it (after the upstream
 * connection is up). If the connection fails first, the client's body is
 * untouched and the request can go to another target.
 */
import { Readable } from 'node:stream'

export class DeferredBody extends Readable {
  private readonly source: Readable
  /** `true` once a byte may have been sent upstream: the body can't be replayed. */
  started = false

  constructor (source: Readable) {
    super()
    this.source = source
  }

  override _read (): void {
    if (this.started) {
      this.source.resume()
      return
    }
    this.started = true
    const source = this.source
    source.on('data', (chunk: Buffer) => {
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
