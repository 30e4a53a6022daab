/**
 * Writes a request body that arrives as a stream to a connection's socket:
 * as is when the request head gave its length (and refused, as undici
 * refuses it, when the stream brings more or fewer bytes than that length:
 * the target would read the difference as the start of another request), or
 * chunked when it has no length. Backpressure both ways: the body pauses
 * while the socket's buffer is full and resumes on `drain`.
 *
 * The connection (`connection.ts`) starts it once the socket is connected,
 * and hears `failed` (a length mismatch, the body stream's error) or
 * `finished` (every byte handed to the socket). Framework-free.
 */
import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'

/** A transport failure with the code undici gives for it (the forwarder sorts failures by code). */
export class TransportError extends Error {
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

export interface RequestBodyEvents {
  failed (err: Error): void
  finished (): void
}

/** `length` is the request head's content-length, or -1 when `chunked`. Returns what stops the writing (listeners off). */
export function writeRequestBody (socket: Socket, body: Readable, chunked: boolean, length: number, events: RequestBodyEvents): () => void {
  let sent = 0
  const onDrain = (): void => { body.resume() }
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
    if (bytes === 0) return
    sent += bytes
    if (length !== -1 && sent > length) {
      events.failed(lengthMismatch())
      return
    }
    let flushed: boolean
    if (chunked) {
      socket.cork()
      socket.write(`${bytes.toString(16)}\r\n`, 'latin1')
      socket.write(chunk)
      flushed = socket.write('\r\n', 'latin1')
      socket.uncork()
    } else {
      flushed = socket.write(chunk)
    }
    if (!flushed) {
      body.pause()
      socket.once('drain', onDrain)
    }
  }
  const onEnd = (): void => {
    if (length !== -1 && sent !== length) {
      events.failed(lengthMismatch())
      return
    }
    if (chunked) socket.write('0\r\n\r\n', 'latin1')
    events.finished()
  }
  const onError = (err: Error): void => { events.failed(err) }
  body.on('data', onData)
  body.once('end', onEnd)
  body.once('error', onError)
  return () => {
    body.off('data', onData)
    body.off('end', onEnd)
    body.off('error', onError)
    socket.off('drain', onDrain)
  }
}

function lengthMismatch (): TransportError {
  return new TransportError('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'Request body length does not match content-length header')
}
