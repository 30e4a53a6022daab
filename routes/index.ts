/**
 * `switchyard-routes` and `switchyard-proxy`: the gateway's routes.
 *
 * Both add routes to one `RouteTable` per app (`fastify.switchyard.routes`),
 * served by one dispatcher route (routes/dispatch.ts) instead of a Fastify
 * scope per route, so routes are data: `routes.replace(declarations)`
 * compiles a whole new set against the live pools and swaps it atomically
 * (config reload), and a plugin user's `app.register(proxyRoute, …)` sits
 * beside their own routes (theirs are more specific and win; a gateway route
 * at `/` is the fallback of everything else).
 */
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync, HTTPMethods } from 'fastify'
import { validateWithSchema, ConfigError } from '../lib/validate.js'
import { compileTrust, type TrustProxyOption } from '../lib/trust.js'
import { FORWARDABLE_METHODS, routeAllForwardableMethods } from '../plugins/proxy/methods.js'
import { installWebSocketRelay } from '../plugins/proxy/websocket.js'
import type { RateLimitRule } from '../plugins/rate-limit/index.js'
import type { RouteCacheOptions } from '../plugins/cache/index.js'
import { RouteDeclarationSchema, RouteDeclarationsSchema, type RouteDeclaration, type RouteDeclarationInput } from './declarations.js'
import { compileRoute, validatePrefix } from './compile.js'
import { createDispatcher } from './dispatch.js'
import { RouteTable, type RouteEntry } from './table.js'
import { lazyChildLoggerFactory } from '../lib/request-logger.js'

/** The routes of one app: the table and how to change it. */
export interface GatewayRouteSet {
  readonly table: RouteTable
  /** Trust and body-limit defaults of routes compiled by `compile`/`replace` (set by `gatewayRoutes`). */
  defaults: RouteDefaults
  /**
   * Validate and compile `routes` against the live pools without changing
   * anything (a reload compiles first, then swaps with `table.swap`). Throws
   * ConfigError naming `root.N.field`.
   */
  compile: (routes: RouteDeclarationInput[], root?: string) => RouteEntry[]
  /**
   * Validate and compile `routes` (against the live pools), then swap them in
   * at once. Throws ConfigError (naming `root.N.field`) and changes nothing
   * when any route is invalid.
   */
  replace: (routes: RouteDeclarationInput[], root?: string) => void
}

declare module '../plugins/pools/index.js' {
  interface SwitchyardInstance {
    /** The gateway's routes (set by `switchyard-routes` / `switchyard-proxy`). */
    routes?: GatewayRouteSet
  }
}

export interface GatewayRoutesOptions {
  routes: RouteDeclarationInput[]
  /** Peers whose `X-Forwarded-*` headers are kept. Default: none. */
  trustProxy?: TrustProxyOption
  /** Body limit (bytes) of routes that declare no `bodyLimit`. Default 10 MiB. */
  bodyLimit?: number
  /** Root of field names in errors. Default `routes`. */
  field?: string
}

export interface RouteDefaults {
  trust: ReturnType<typeof compileTrust>
  bodyLimit: number | undefined
}

/** The app's route set, made (with its dispatcher route and WebSocket relay) on first use. */
function routeSetOf (fastify: FastifyInstance, defaults: RouteDefaults): GatewayRouteSet {
  if (!fastify.hasDecorator('switchyard')) throw new ConfigError('pool', 'needs the switchyard-pools plugin registered first')
  const existing = fastify.switchyard.routes
  if (existing !== undefined) return existing
  const table = new RouteTable()
  const compile = (routes: RouteDeclarationInput[], root = 'routes'): RouteEntry[] => {
    const declarations = validateWithSchema(RouteDeclarationsSchema, structuredClone(routes ?? []), root)
    const seen = new Set<string>()
    return declarations.map((route, index) => {
      const field = `${root}.${index}`
      const prefix = validatePrefix(route.path, `${field}.path`)
      if (seen.has(prefix)) throw new ConfigError(`${field}.path`, `"${route.path}" is declared twice`)
      seen.add(prefix)
      return compileOne(fastify, route, field, set.defaults)
    })
  }
  const set: GatewayRouteSet = {
    table,
    defaults,
    compile,
    replace: (routes, root = 'routes') => {
      const entries = compile(routes, root)
      for (const left of table.swap(entries)) left.close()
    }
  }
  fastify.switchyard.routes = set
  if (!fastify.hasRequestDecorator('switchyard')) fastify.decorateRequest('switchyard', null)
  routeAllForwardableMethods(fastify)
  fastify.route({
    method: FORWARDABLE_METHODS,
    url: '/*',
    config: { switchyard: true },
    // The dispatcher takes the request over in onRequest: nothing parses or buffers the body.
    onRequest: createDispatcher(table),
    handler: async () => undefined,
    // A request's pino child is made only if it logs (lib/request-logger.ts), so that the access
    // line and a link's warning carry the request's `reqId` without a child per request.
    childLoggerFactory: lazyChildLoggerFactory
  })
  installWebSocketRelay(fastify, table)
  fastify.addHook('onClose', async () => { for (const entry of table.entries) entry.close() })
  return set
}

function compileOne (fastify: FastifyInstance, route: RouteDeclaration, field: string, defaults: RouteDefaults): RouteEntry {
  const pool = fastify.switchyard.pools.get(route.pool)
  if (pool === undefined) throw new ConfigError(`${field}.pool`, `"${route.pool}" is not a declared pool`)
  const declaration = route.bodyLimit === undefined && defaults.bodyLimit !== undefined ? { ...route, bodyLimit: defaults.bodyLimit } : route
  return compileRoute(fastify, declaration, pool, { trust: defaults.trust, field })
}

const gatewayRoutesPlugin: FastifyPluginAsync<GatewayRoutesOptions> = async (fastify, options) => {
  const bodyLimit = options.bodyLimit
  if (bodyLimit !== undefined && (!Number.isSafeInteger(bodyLimit) || bodyLimit < 0)) throw new ConfigError('bodyLimit', `must be a number of bytes, got ${String(bodyLimit)}`)
  const defaults = { trust: compileTrust(options.trustProxy), bodyLimit }
  const set = routeSetOf(fastify, defaults)
  set.defaults = defaults
  const field = options.field ?? 'routes'
  const entries = set.compile(options.routes ?? [], field)
  entries.forEach((entry, i) => {
    if (set.table.has(entry.prefix)) throw new ConfigError(`${field}.${i}.path`, `"${entry.prefix}" is already a gateway route`)
  })
  set.table.swap([...set.table.entries, ...entries])
}

export const gatewayRoutes = fp(gatewayRoutesPlugin, {
  fastify: '5.x',
  name: 'switchyard-routes',
  dependencies: ['switchyard-pools']
})

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
  /** This route's own rate limit (on top of any global one); `windowMs` defaults to 60000. */
  rateLimit?: Omit<RateLimitRule, 'windowMs'> & { windowMs?: number }
  /** Largest request body forwarded, in bytes; more → 413. Default 10 MiB. */
  bodyLimit?: number
  /** Response cache (needs `switchyard-cache`): `true`, `{ … }`, `false`; default: the cache plugin's `allRoutes`. */
  cache?: boolean | RouteCacheOptions
}

const PROXY_ROUTE_OPTIONS = new Set(['path', 'pool', 'stripPrefix', 'methods', 'websocket', 'trustProxy', 'allow', 'deny', 'rateLimit', 'bodyLimit', 'cache'])

const proxyRoutePlugin: FastifyPluginAsync<ProxyRouteOptions> = async (fastify, options) => {
  for (const name of Object.keys(options)) {
    if (!PROXY_ROUTE_OPTIONS.has(name)) throw new ConfigError(name, `is not an option of proxyRoute (options: ${[...PROXY_ROUTE_OPTIONS].join(', ')})`)
  }
  const { trustProxy, ...declaration } = options
  const trust = compileTrust(trustProxy)
  const set = routeSetOf(fastify, { trust, bodyLimit: undefined })
  const route = validateWithSchema(RouteDeclarationSchema, structuredClone(declaration), 'route')
  const prefix = validatePrefix(route.path, 'path')
  if (set.table.has(prefix)) throw new ConfigError('path', `"${route.path}" is already a gateway route`)
  const pool = fastify.switchyard.pools.get(route.pool)
  if (pool === undefined) throw new ConfigError('pool', `"${route.pool}" is not a registered pool`)
  set.table.add(compileRoute(fastify, route, pool, { trust, field: 'route' }))
}

/** Register with `app.register(proxyRoute, { path: '/api', pool: 'api' })`. */
export const proxyRoute = fp(proxyRoutePlugin, {
  fastify: '5.x',
  name: 'switchyard-proxy',
  dependencies: ['switchyard-pools']
})

export default gatewayRoutes
export { RouteDeclarationSchema, RouteDeclarationsSchema } from './declarations.js'
export type { RouteDeclaration, RouteDeclarationInput } from './declarations.js'
export { RouteTable, type RouteEntry, type RouteStats } from './table.js'
export { CHAIN, renderChainDiagram } from './chain.js'
