/**
 * `switchyard-admin`: a separate listener (loopback by default) with
 * `/health` (the gateway itself), `/status` (pools and targets, JSON) and
 * `/metrics` (Prometheus text).
 * Not part of the request chain; reads `fastify.switchyard`.
 */
import fp from 'fastify-plugin'
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import { ConfigError } from '../../lib/validate.js'
import { describePools, describeL4 } from './status.js'
import { createTokenCheck } from './token.js'
import { createMetricsRegistry } from './metrics.js'

export const DEFAULT_ADMIN_PORT = 9901
export const DEFAULT_ADMIN_HOST = '127.0.0.1'

export interface AdminOptions {
  /** Port of the admin listener (0 = any free port). Default 9901. */
  port?: number
  /** Address of the admin listener. Default `127.0.0.1`. */
  host?: string
  /** When set, `/status` (and every route but `/health`) needs `Authorization: Bearer <token>`. */
  token?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin listener's own Fastify instance (routes can be added before ready). */
    switchyardAdmin: FastifyInstance
  }
}

const adminPlugin: FastifyPluginAsync<AdminOptions> = async (fastify, options) => {
  const port = options.port ?? DEFAULT_ADMIN_PORT
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port', `must be an integer 0-65535, got ${String(port)}`)
  const host = options.host ?? DEFAULT_ADMIN_HOST
  const admin = Fastify({ loggerInstance: fastify.log.child({ listener: 'admin' }), logController: new LogController({ disableRequestLogging: true }) })
  const authorized = createTokenCheck(options.token)

  admin.addHook('onRequest', async (request, reply) => {
    if (request.url === '/health') return
    if (!authorized(request.headers.authorization)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ statusCode: 401, error: 'Unauthorized', message: 'Admin token required' })
    }
  })
  admin.get('/health', async () => ({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }))
  admin.get('/status', async () => ({ ...describePools(fastify.switchyard.pools), ...describeL4(fastify.switchyard.l4) }))
  const metrics = createMetricsRegistry(fastify.switchyard.pools, () => fastify.switchyard.l4?.() ?? [])
  admin.get('/metrics', async (_request, reply) => {
    const text = await metrics.metrics()
    return reply.type(metrics.contentType).send(text)
  })

  fastify.decorate('switchyardAdmin', admin)
  fastify.addHook('onReady', async () => {
    await admin.listen({ port, host })
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
export { describePools, describeTarget, describeL4 } from './status.js'
