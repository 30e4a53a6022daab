/**
 * A pass-through stream that keeps a copy of the body it forwards, up to a
 * cap. The client gets every chunk as it arrives; the copy is handed over
 * only when the body ended normally (and, when the length was announced,
 * had exactly that length). A body that errors, is cut short or grows past
 * the cap is never handed over (`onComplete(undefined)` when it ended, nothing
 * when it errored).
 */
import { Transform, type TransformCallback } from 'node:stream'

export class BodyRecorder extends Transform {
  private chunks: Buffer[] = []
  private bytes = 0
  private overflow = false
  private readonly maxBytes: number
  private readonly expectedLength: number | undefined
  private readonly onComplete: (body: Buffer | undefined) => void

  /** `onComplete` gets the whole body, or undefined when it ended but is not to be kept. */
  constructor (maxBytes: number, expectedLength: number | undefined, onComplete: (body: Buffer | undefined) => void) {
    super()
    this.maxBytes = maxBytes
    this.expectedLength = expectedLength
    this.onComplete = onComplete
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.overflow) {
      this.bytes += chunk.length
      if (this.bytes > this.maxBytes) {
        this.overflow = true
        this.chunks = []
      } else {
        this.chunks.push(chunk)
      }
    }
    callback(null, chunk)
  }

  override _flush (callback: TransformCallback): void {
    if (!this.overflow && (this.expectedLength === undefined || this.expectedLength === this.bytes)) {
      const body = this.chunks.length === 1 ? this.chunks[0] as Buffer : Buffer.concat(this.chunks, this.bytes)
      this.chunks = []
      this.onComplete(body)
    } else {
      this.chunks = []
      this.onComplete(undefined)
    }
    callback()
  }
}
