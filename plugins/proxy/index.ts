/**
 * `switchyard-proxy`: one route of the gateway — a path prefix forwarded to a
 * pool. Register it once per route; each registration is its own
 * encapsulated scope (as `@fastify/http-proxy` does), so routes don't share
 * hooks.
 *
 * Chain: route (this plugin, via @fastify/http-proxy's prefix routes) →
 * [limits, cache: later links, registered in the scope] → balancer
 * (preHandler) → upstream (reply-from) → response filters (header rewriting).
 */
import type { FastifyPluginAsync, FastifyReply, HTTPMethods } from 'fastify'
import fp from 'fastify-plugin'
import httpProxy from '@fastify/http-proxy'
import { ConfigError } from '../../lib/validate.js'
import { createForwarder } from './forwarder.js'
import { DEFAULT_METHODS, FORWARDABLE_METHODS, routeAllForwardableMethods } from './methods.js'
import { installRouteCache, type RouteCacheOptions } from '../cache/index.js'
import { createStickyLink } from '../sticky/link.js'
import { toErrorBody, NoTargetError, NO_TARGET_RETRY_AFTER_SECONDS } from './errors.js'
import { compileTrust, type TrustProxyOption } from './trust.js'
import { rejectUnsafePath, createBodyLimitHook, DEFAULT_BODY_LIMIT_BYTES } from '../request-hygiene/index.js'
import { createAccessControlHook } from '../access-control/index.js'
import { createRouteRateLimitHook, type RateLimitRule } from '../rate-limit/index.js'

export interface ProxyRouteOptions {
  /** Path prefix this route answers (`/api`); the longest matching prefix wins. */
  path: string
  /** Name of a pool registered with the `pools` plugin. */
  pool: string
  /** Remove the prefix before forwarding (`/api/users` → `/users`). Default false. */
  stripPrefix?: boolean
  /** Methods forwarded; others get 405 with `Allow`. Default: every method Node parses but CONNECT and TRACE. */
  methods?: HTTPMethods[]
  /** Proxy WebSocket upgrades on this route. Default true. */
  websocket?: boolean
  /** Peers whose `X-Forwarded-*` are kept (Fastify `trustProxy` forms). Default: none. */
  trustProxy?: TrustProxyOption
  /** Client addresses/CIDRs (IPv4, IPv6) allowed on this route; others get 403. Default: all. */
  allow?: string[]
  /** Client addresses/CIDRs refused with 403 (wins over `allow`). Default: none. */
  deny?: string[]
  /** This route's own rate limit (on top of any global one). Default: none. */
  rateLimit?: RateLimitRule
  /** Largest request body forwarded, in bytes; more → 413. Default 10 MiB. */
  bodyLimit?: number
  /** Response cache (needs `switchyard-cache`): `true`, `{ … }`, `false`; default: GATEWAY_CACHE's choice. */
  cache?: boolean | RouteCacheOptions
}

const proxyRoutePlugin: FastifyPluginAsync<ProxyRouteOptions> = async (fastify, options) => {
  const prefix = validatePrefix(options.path)
  if (!fastify.hasDecorator('switchyard')) {
    throw new ConfigError('pool', 'needs the switchyard-pools plugin registered first')
  }
  const pool = fastify.switchyard.pools.get(options.pool)
  if (pool === undefined) throw new ConfigError('pool', `"${options.pool}" is not a registered pool`)
  const methods = options.methods ?? DEFAULT_METHODS
  for (const method of methods) {
    if (!FORWARDABLE_METHODS.includes(method)) throw new ConfigError('methods', `contains an unknown method "${method}"`)
  }
  routeAllForwardableMethods(fastify)
  const stripPrefix = options.stripPrefix ?? false
  const trust = compileTrust(options.trustProxy)
  // Sticky sessions (pools with `sticky`): verifies the cookie before the balancer, sets it on the response.
  const sticky = pool.config.sticky === undefined
    ? undefined
    : createStickyLink({ pool, prefix, secret: fastify.switchyard.stickySecret, trust })
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 0) throw new ConfigError('bodyLimit', `must be a number of bytes, got ${String(options.bodyLimit)}`)
  const forwarder = createForwarder({ pool, prefix, stripPrefix, trust, onUpstreamResponse: sticky?.onUpstreamResponse, bodyLimit })

  if (!fastify.hasRequestDecorator('switchyard')) fastify.decorateRequest('switchyard', null)
  fastify.setErrorHandler((error, request, reply) => {
    const body = toErrorBody(error as Parameters<typeof toErrorBody>[0])
    if (body.statusCode >= 500) request.log.error({ err: error }, 'gateway error')
    if (error instanceof NoTargetError) reply.header('retry-after', NO_TARGET_RETRY_AFTER_SECONDS)
    reply.code(body.statusCode).type('application/json').send(body)
  })
  // Limits first (request-hygiene, access-control, rate-limit): a refused request costs no more.
  fastify.addHook('onRequest', rejectUnsafePath)
  const accessControl = createAccessControlHook({ allow: options.allow, deny: options.deny })
  if (accessControl !== undefined) fastify.addHook('onRequest', accessControl)
  if (options.rateLimit !== undefined) fastify.addHook('onRequest', await createRouteRateLimitHook(fastify, options.rateLimit, prefix))
  fastify.addHook('onRequest', createBodyLimitHook(bodyLimit))
  fastify.addHook('onRequest', forwarder.onRequest)
  if (sticky !== undefined) fastify.addHook('onRequest', sticky.onRequest)
  // Cache link: a scope preHandler, so a hit is answered before the forwarder's route-level preHandler picks a target.
  installRouteCache(fastify, options.cache)
  // Bodies stream through untouched: no parser of the parent app may buffer them.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', passThroughBody)

  await fastify.register(httpProxy, {
    prefix: prefix === '/' ? '' : prefix,
    upstream: '',
    rewritePrefix: stripPrefix ? '' : prefix,
    httpMethods: methods,
    websocket: options.websocket ?? true,
    internalRewriteLocationHeader: false,
    disableRequestLogging: true,
    proxyPayloads: false,
    undici: pool.dispatcher,
    preHandler: forwarder.preHandler,
    replyOptions: forwarder.replyOptions,
    wsClientOptions: { rewriteRequestHeaders: forwarder.rewriteWsHeaders },
    handler: forwarder.handler
  } as unknown as Parameters<typeof httpProxy>[1])

  const refused = FORWARDABLE_METHODS.filter((m) => !methods.includes(m))
  if (refused.length > 0) {
    const allow = methods.join(', ')
    const refuse = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => reply.code(405).header('allow', allow)
      .send(toErrorBody({ statusCode: 405, code: 'SWITCHYARD_METHOD_NOT_ALLOWED', message: 'Method not allowed on this route' }))
    const base = prefix === '/' ? '' : prefix
    fastify.route({ method: refused, url: base === '' ? '/' : base, handler: refuse })
    fastify.route({ method: refused, url: base + '/*', handler: refuse })
  }
}

function passThroughBody (_request: unknown, payload: unknown, done: (err: null, body: unknown) => void): void {
  done(null, payload)
}

function validatePrefix (path: unknown): string {
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(path) || path.includes('//') || /(^|\/)\.\.?(\/|$)/.test(path)) {
    throw new ConfigError('path', `must be an absolute path prefix such as "/api", got ${JSON.stringify(path)}`)
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

/** Register with `app.register(proxyRoute, { path: '/api', pool: 'api' })`. */
export const proxyRoute = fp(proxyRoutePlugin, {
  fastify: '5.x',
  name: 'switchyard-proxy',
  dependencies: ['switchyard-pools'],
  encapsulate: true
})
export default proxyRoute
export { createForwarder } from './forwarder.js'
export { DEFAULT_METHODS, FORWARDABLE_METHODS } from './methods.js'
export { Exchange } from './exchange.js'
export { toErrorBody, NoRouteError, NoTargetError, BadGatewayError, GatewayTimeoutError } from './errors.js'
export { compileTrust, type TrustProxyOption } from './trust.js'
