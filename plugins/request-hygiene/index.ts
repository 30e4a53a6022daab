/**
 * Request hygiene: what a request must look like before any link of the chain
 * runs.
 *
 * - Server level (`fastifyServerOptions`, given to `Fastify({...})`): header
 *   size (431), header/request timeouts (408), keep-alive idle timeout, and
 *   the gateway's answer to requests Node's parser refuses (400).
 * - Route level (links of the chain, link.ts): `path` (400 for dot-segments
 *   in any spelling) and `body limit` (413 on a declared length over the
 *   route's limit; streamed bodies are counted by the upstream link).
 */
export { BadPathError } from './errors.js'
export { createPathLink, createBodyLimitLink } from './link.js'
export { hasDotSegment } from './path.js'
export { declaresTooLong, discardRestOfBody, DEFAULT_BODY_LIMIT_BYTES, DISCARD_GRACE_MS } from './body-limit.js'
export { clientErrorHandler, clientErrorResponse } from './client-errors.js'
export {
  fastifyServerOptions, nodeServerOptions, applyServerLimits, connectionsCheckingIntervalMs,
  DEFAULT_SERVER_LIMITS, DEFAULT_MAX_HEADER_BYTES, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS,
  type ServerLimits
} from './server.js'
