/**
 * Access control: per-route IP allow/deny lists → 403.
 *
 * Chain position: the first "limits" link of a route (onRequest, after path
 * hygiene, before rate limits, so refused clients spend no quota). Reads the
 * client address as `request.ip`, i.e. through `X-Forwarded-For` only from
 * peers trusted by the app's `trustProxy` (`GATEWAY_TRUST_PROXY`).
 * Method allow lists (405 with `Allow`) are the route's `methods`
 * (plugins/proxy).
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import createError from '@fastify/error'
import { toErrorBody } from '../proxy/errors.js'
import { compileAccessRules, type AccessRules } from './ip-list.js'

export const AccessDeniedError = createError('SWITCHYARD_ACCESS_DENIED', 'Access to this route is not allowed from your address', 403)

/** onRequest hook enforcing `rules`, or `undefined` when they let everyone in. */
export function createAccessControlHook (rules: AccessRules): onRequestHookHandler | undefined {
  const mayPass = compileAccessRules(rules)
  if (mayPass === undefined) return undefined
  const body = toErrorBody(new AccessDeniedError())
  return function accessControl (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    if (!mayPass(request.ip)) {
      reply.code(403).type('application/json').send(body)
      return
    }
    done()
  }
}

export { compileAccessRules, compileIpList, type AccessRules, type IpMatcher } from './ip-list.js'
