/**
 * Body size limit, up front: a declared `Content-Length` over the route's
 * limit is refused with 413 before anything is forwarded. Bodies without a
 * length (chunked) are counted while they stream (`DeferredBody`, forwarder).
 */
import type { IncomingMessage } from 'node:http'

/** Default largest request body a route forwards: 10 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024
/** How long the rest of a refused body is read and discarded before the connection is closed. */
export const DISCARD_GRACE_MS = 2000

/**
 * After a 413, read and discard the rest of the body instead of closing at
 * once: closing a socket with unread data makes the kernel send a reset,
 * which can destroy the 413 before the client has read it (the reason for
 * nginx's "lingering close"). A body that ends within `graceMs` leaves the
 * connection usable (framing is intact); one that doesn't is cut off then.
 */
export function discardRestOfBody (request: IncomingMessage, graceMs = DISCARD_GRACE_MS): void {
  if (request.complete) return
  const timer = setTimeout(() => { request.socket?.destroy() }, graceMs)
  const stop = (): void => { clearTimeout(timer) }
  request.once('end', stop)
  request.once('close', stop)
  request.resume()
}

/** `true` when the request declares a `Content-Length` above `limit`. */
export function declaresTooLong (contentLength: string | undefined, limit: number): boolean {
  // llhttp has already refused malformed or conflicting lengths (400), so this is digits.
  return contentLength !== undefined && contentLength.length >= 1 && Number(contentLength) > limit
}
