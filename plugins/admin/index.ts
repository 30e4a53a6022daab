/**
 * `switchyard-admin`: a separate listener (loopback by default) with
 * `/health` (the gateway itself: 200, or 503 while it drains on close),
 * `/status` (pools and targets, JSON) and `/metrics` (Prometheus text).
 * Not part of the request chain; reads `fastify.switchyard`.
 */
import fp from 'fastify-plugin'
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'
import { ConfigError, refuseUnknownOptions } from '../../lib/validate.js'
import { isLoopbackHost } from '../../lib/loopback.js'
import { describePools, describeRoutes, describeL4, type RouteStatusSource } from './status.js'
import { createTokenCheck } from './token.js'

export const DEFAULT_ADMIN_PORT = 9901
export const DEFAULT_ADMIN_HOST = '127.0.0.1'

export interface AdminOptions {
  /** Port of the admin listener (0 = any free port). Default 9901. */
  port?: number
  /** Address of the admin listener. Default `127.0.0.1`; beyond loopback `token` is required. */
  host?: string
  /** When set, `/status` (and every route but `/health`) needs `Authorization: Bearer <token>`. */
  token?: string
  /**
   * Open the listener. Default true; false builds the admin routes without a
   * socket (cluster workers: the primary listens and forwards with `inject`).
   */
  listen?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin listener's own Fastify instance (routes can be added before ready). */
    switchyardAdmin: FastifyInstance
    /** The prom-client registry behind `/metrics`, made (and prom-client loaded) on first use; cluster workers send it to the primary as JSON. */
    switchyardMetrics: () => Promise<Registry>
  }
}

const adminPlugin: FastifyPluginAsync<AdminOptions> = async (fastify, options) => {
  refuseUnknownOptions(options, ['port', 'host', 'token', 'listen'], 'switchyard-admin')
  const port = options.port ?? DEFAULT_ADMIN_PORT
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port', `must be an integer 0-65535, got ${String(port)}`)
  const host = options.host ?? DEFAULT_ADMIN_HOST
  if (!isLoopbackHost(host) && (options.token === undefined || options.token === '')) {
    throw new ConfigError('host', `is "${host}", beyond loopback: set token too (/status shows backend addresses, drain needs no other check), or bind 127.0.0.1`)
  }
  const admin = Fastify({ loggerInstance: fastify.log.child({ listener: 'admin' }), logController: new LogController({ disableRequestLogging: true }) })
  const authorized = createTokenCheck(options.token)

  admin.addHook('onRequest', async (request, reply) => {
    if (request.url === '/health') return
    if (!authorized(request.headers.authorization)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ statusCode: 401, error: 'Unauthorized', message: 'Admin token required' })
    }
  })
  // Draining (the app is closing, e.g. on SIGTERM): in-flight requests finish, no new work wanted.
  let draining = false
  fastify.addHook('preClose', (done) => { draining = true; done() })
  admin.get('/health', async (_request, reply) => {
    if (draining) return await reply.code(503).send({ status: 'draining', uptimeSeconds: Math.round(process.uptime()) })
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) }
  })
  admin.get('/status', async () => {
    const table = (fastify.switchyard as { routes?: { table: RouteStatusSource } }).routes?.table
    return { ...describePools(fastify.switchyard.pools), routes: table === undefined ? [] : describeRoutes(table), ...describeL4(fastify.switchyard.l4) }
  })
  // prom-client loads on the first scrape: a gateway nobody scrapes never pays for it.
  let registry: Promise<Registry> | undefined
  const metricsRegistry = async (): Promise<Registry> => {
    registry ??= import('./metrics.js').then((m) => m.createMetricsRegistry(fastify.switchyard.pools, () => fastify.switchyard.l4?.() ?? []))
    return await registry
  }
  admin.get('/metrics', async (_request, reply) => {
    const metrics = await metricsRegistry()
    const text = await metrics.metrics()
    return reply.type(metrics.contentType).send(text)
  })

  fastify.decorate('switchyardAdmin', admin)
  fastify.decorate('switchyardMetrics', metricsRegistry)
  fastify.addHook('onReady', async () => {
    if (options.listen ?? true) await admin.listen({ port, host })
    else await admin.ready()
  })
  fastify.addHook('onClose', async () => { await admin.close() })
}

export const adminListener = fp(adminPlugin, {
  fastify: '5.x',
  name: 'switchyard-admin',
  dependencies: ['switchyard-pools']
})
export default adminListener
/** Address the admin listener is bound to, once the gateway is ready. */
export function adminAddress (fastify: FastifyInstance): string {
  const address = fastify.switchyardAdmin.server.address()
  if (address === null || typeof address === 'string') return String(address)
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
}
export { describePools, describeTarget, describeRoutes, describeL4 } from './status.js'
