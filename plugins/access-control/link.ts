/**
 * The access-control link (after `path`, before the rate limit, so refused
 * clients spend no quota): the route's IP `allow`/`deny` lists → 403. Reads
 * the client address (`exchange.ip`: through `X-Forwarded-For` only from
 * peers the app's `trustProxy` trusts, or the PROXY protocol's address).
 */
import createError from '@fastify/error'
import type { LinkFactory } from '../../lib/link.js'
import { compileAccessRules } from './ip-list.js'

export const AccessDeniedError = createError('SWITCHYARD_ACCESS_DENIED', 'Access to this route is not allowed from your address', 403)

export const createAccessControlLink: LinkFactory = (_app, route) => {
  const { allow, deny } = route.declaration as { allow?: string[], deny?: string[] }
  const mayPass = compileAccessRules({ allow, deny }, route.field)
  if (mayPass === undefined) return undefined
  return {
    request (exchange) {
      if (!mayPass(exchange.ip)) exchange.respondError(new AccessDeniedError())
    }
  }
}
