/**
 * The request-hygiene links of the chain:
 * - `path` (first link): 400 for a path that tries to climb out of its
 *   route (`/api/../admin`, `%2e%2e`, `..\`), in any spelling;
 * - `body limit` (after the rate limit): 413 on a declared `Content-Length`
 *   over the route's `bodyLimit` (the rest of the body is read and
 *   discarded); bodies without a length are counted while they stream by the
 *   upstream link.
 * Reads the request line and `Content-Length`; writes nothing else.
 */
import type { Link, LinkFactory } from '../../lib/link.js'
import { BodyTooLargeError } from '../../lib/errors.js'
import { ConfigError } from '../../lib/validate.js'
import { hasDotSegment } from './path.js'
import { BadPathError } from './errors.js'
import { declaresTooLong, discardRestOfBody, DEFAULT_BODY_LIMIT_BYTES } from './body-limit.js'

const PATH_LINK: Link = {
  request (exchange) {
    if (hasDotSegment(exchange.url)) exchange.respondError(new BadPathError())
  }
}

export const createPathLink: LinkFactory = () => PATH_LINK

export const createBodyLimitLink: LinkFactory = (_app, route) => {
  const limit = (route.declaration.bodyLimit as number | undefined) ?? DEFAULT_BODY_LIMIT_BYTES
  if (!Number.isSafeInteger(limit) || limit < 0) throw new ConfigError(`${route.field}.bodyLimit`, `must be a number of bytes, got ${String(limit)}`)
  return {
    request (exchange) {
      if (declaresTooLong(exchange.headers['content-length'], limit)) {
        exchange.respondError(new BodyTooLargeError())
        discardRestOfBody(exchange.req as never)
      }
    }
  }
}
