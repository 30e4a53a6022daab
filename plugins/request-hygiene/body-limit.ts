/**
 * Body size limit, up front: a declared `Content-Length` over the route's
 * limit is refused with 413 before anything is forwarded. Bodies without a
 * length (chunked) are counted while they stream (`DeferredBody`, forwarder).
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { BodyTooLargeError, toErrorBody } from '../proxy/errors.js'

/** Default largest request body a route forwards: 10 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024

/** `true` when the request declares a `Content-Length` above `limit`. */
export function declaresTooLong (contentLength: string | undefined, limit: number): boolean {
  // llhttp has already refused malformed or conflicting lengths (400), so this is digits.
  return contentLength !== undefined && contentLength.length >= 1 && Number(contentLength) > limit
}

/** onRequest hook of a route scope: 413 (and close the connection) when the declared length is over `limit`. */
export function createBodyLimitHook (limit: number): onRequestHookHandler {
  const body = toErrorBody(new BodyTooLargeError())
  return function bodyLimit (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    if (declaresTooLong(request.headers['content-length'], limit)) {
      // The body is not read: the connection can't carry another request after it.
      reply.code(413).header('connection', 'close').type('application/json').send(body)
      return
    }
    done()
  }
}
