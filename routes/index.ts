/**
 * `switchyard-routes`: registers one `switchyard-proxy` scope per declared route.
 * Plugin users can list routes here, or register `proxyRoute` themselves.
 */
import fp from 'fastify-plugin'
import type { FastifyPluginAsync, HTTPMethods } from 'fastify'
import { validateWithSchema, ConfigError } from '../lib/validate.js'
import { proxyRoute, type TrustProxyOption } from '../plugins/proxy/index.js'
import { RouteDeclarationsSchema, type RouteDeclarationInput } from './declarations.js'

export interface GatewayRoutesOptions {
  routes: RouteDeclarationInput[]
  /** Peers whose `X-Forwarded-*` headers are kept. Default: none. */
  trustProxy?: TrustProxyOption
  /** Body limit (bytes) of routes that declare no `bodyLimit`. Default 10 MiB. */
  bodyLimit?: number
}

const gatewayRoutesPlugin: FastifyPluginAsync<GatewayRoutesOptions> = async (fastify, options) => {
  const routes = validateWithSchema(RouteDeclarationsSchema, structuredClone(options.routes ?? []), 'routes')
  const seen = new Set<string>()
  for (const [index, route] of routes.entries()) {
    const key = route.path.length > 1 ? route.path.replace(/\/$/, '') : route.path
    if (seen.has(key)) throw new ConfigError(`routes.${index}.path`, `"${route.path}" is declared twice`)
    seen.add(key)
    if (!fastify.switchyard.pools.has(route.pool)) {
      throw new ConfigError(`routes.${index}.pool`, `"${route.pool}" is not a declared pool`)
    }
    await fastify.register(proxyRoute, {
      path: route.path,
      pool: route.pool,
      stripPrefix: route.stripPrefix,
      websocket: route.websocket,
      ...(route.methods !== undefined ? { methods: route.methods as HTTPMethods[] } : {}),
      ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
      ...(route.allow !== undefined ? { allow: route.allow } : {}),
      ...(route.deny !== undefined ? { deny: route.deny } : {}),
      ...(route.rateLimit !== undefined ? { rateLimit: route.rateLimit } : {}),
      ...(route.cache !== undefined ? { cache: route.cache } : {}),
      ...((route.bodyLimit ?? options.bodyLimit) !== undefined ? { bodyLimit: route.bodyLimit ?? options.bodyLimit } : {})
    })
  }
}

export const gatewayRoutes = fp(gatewayRoutesPlugin, {
  fastify: '5.x',
  name: 'switchyard-routes',
  dependencies: ['switchyard-pools']
})
export default gatewayRoutes
export { RouteDeclarationSchema, RouteDeclarationsSchema } from './declarations.js'
export type { RouteDeclaration, RouteDeclarationInput } from './declarations.js'
