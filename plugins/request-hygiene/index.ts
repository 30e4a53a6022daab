/**
 * Request hygiene: what a request must look like before any link of the chain
 * runs.
 *
 * - Server level (`fastifyServerOptions`, given to `Fastify({...})`): header
 *   size (431), header/request timeouts (408), keep-alive idle timeout, and
 *   the gateway's answer to requests Node's parser refuses (400).
 * - Route level (hooks the `switchyard-proxy` scope adds, first in its chain):
 *   `rejectUnsafePath` (400 for dot-segments in any spelling) and
 *   `createBodyLimitHook` (413 on a declared length over the route's limit;
 *   streamed bodies are counted by the forwarder).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import createError from '@fastify/error'
import { toErrorBody } from '../proxy/errors.js'
import { hasDotSegment } from './path.js'

export const BadPathError = createError('SWITCHYARD_BAD_PATH', 'The request path contains dot-segments', 400)
const BAD_PATH_BODY = toErrorBody(new BadPathError())

/** onRequest hook: 400 for a path that tries to climb out of its route (`/api/../admin`, `%2e%2e`, `..\`). */
export function rejectUnsafePath (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (hasDotSegment(request.url)) {
    reply.code(400).type('application/json').send(BAD_PATH_BODY)
    return
  }
  done()
}

export { hasDotSegment } from './path.js'
export { createBodyLimitHook, declaresTooLong, discardRestOfBody, DEFAULT_BODY_LIMIT_BYTES, DISCARD_GRACE_MS } from './body-limit.js'
export { clientErrorHandler, clientErrorResponse } from './client-errors.js'
export {
  fastifyServerOptions, nodeServerOptions, applyServerLimits, connectionsCheckingIntervalMs,
  DEFAULT_SERVER_LIMITS, DEFAULT_MAX_HEADER_BYTES, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS,
  type ServerLimits
} from './server.js'
