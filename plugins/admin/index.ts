/**
 * `switchyard-admin`: a separate listener (loopback by default) with
 * `/health` (the gateway itself), `/status` (pools and targets, JSON, with
 * an ETag so that polling is cheap), `/` (the status page, HTML) and
 * `/metrics` (Prometheus text). Other plugins add their routes (drain, cache
 * purge, config) to `fastify.switchyardAdmin` and their sections to
 * `/status` with `fastify.addStatusSection`.
 *
 * Access: with a token, every route but `/health` needs it, as
 * `Authorization: Bearer` or as the password of HTTP Basic (the browser
 * prompts for `/`). Requests that change something are refused when a
 * browser says they come from another site (`Sec-Fetch-Site`, `Origin`), so
 * a page elsewhere cannot use the browser's Basic credentials (or an open
 * loopback listener) to drain targets.
 * Not part of the request chain; reads `fastify.switchyard`.
 *
 * Loaded on first use, not at start: prom-client and the metrics registry
 * (first `/metrics` scrape or `switchyardMetrics()`; every metric is read from
 * live counters at scrape time, so none misses what came before) and the
 * status page's renderer (first `GET /`).
 */
import fp from 'fastify-plugin'
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import { ConfigError, refuseUnknownOptions } from '../../lib/validate.js'
import { isLoopbackHost } from '../../lib/loopback.js'
import { randomBytes } from 'node:crypto'
import { describePools, describeRoutes, describeL4, sendStatus, statusEtag, type RouteStatusSource } from './status.js'
import { createTokenCheck } from './token.js'
import type { StatusDocument } from './page.js'
import type { Registry } from 'prom-client'

export const DEFAULT_ADMIN_PORT = 9901
export const DEFAULT_ADMIN_HOST = '127.0.0.1'

export interface AdminOptions {
  /** Port of the admin listener (0 = any free port). Default 9901. */
  port?: number
  /** Address of the admin listener. Default `127.0.0.1`. */
  host?: string
  /** When set, every route but `/health` needs it: `Authorization: Bearer <token>`, or as the HTTP Basic password. */
  token?: string
  /** Extra top-level sections of `/status` (name → what to show), e.g. `routes`. */
  sections?: Record<string, () => unknown>
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
    /** Add (or replace) a top-level section of `/status`, computed when asked for. */
    addStatusSection: (name: string, describe: () => unknown) => void
    /**
     * The prom-client registry behind `/metrics`, made (and prom-client loaded)
     * on the first call or scrape; the same registry every time.
     */
    switchyardMetrics: () => Promise<Registry>
    /**
     * Add metrics to that registry when it is made (at once if it already is):
     * other parts register theirs here without loading prom-client at start.
     */
    addMetrics: (add: (registry: Registry) => void | Promise<void>) => void
  }
}

const UNSAFE_FROM_BROWSER = new Set(['cross-site', 'same-site'])

const adminPlugin: FastifyPluginAsync<AdminOptions> = async (fastify, options) => {
  refuseUnknownOptions(options, ['port', 'host', 'token', 'sections', 'listen'], 'switchyard-admin')
  const port = options.port ?? DEFAULT_ADMIN_PORT
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port', `must be an integer 0-65535, got ${String(port)}`)
  const host = options.host ?? DEFAULT_ADMIN_HOST
  if (!isLoopbackHost(host) && (options.token === undefined || options.token === '')) {
    throw new ConfigError('host', `is "${host}", beyond loopback: set token too (/status shows backend addresses, drain needs no other check), or bind 127.0.0.1`)
  }
  const admin = Fastify({ loggerInstance: fastify.log.child({ listener: 'admin' }), logController: new LogController({ disableRequestLogging: true }) })
  const authorized = createTokenCheck(options.token)
  const sections = new Map<string, () => unknown>(Object.entries(options.sections ?? {}))

  admin.addHook('onRequest', async (request, reply) => {
    if (request.url === '/health') return
    if (authorized(request.headers.authorization) === false) {
      // The page asks the browser for the token as a Basic password; scripts use Bearer.
      const page = request.url === '/' || request.url.startsWith('/?')
      await reply.code(401).header('www-authenticate', page ? 'Basic realm="switchyard", charset="UTF-8"' : 'Bearer realm="switchyard"')
        .send({ statusCode: 401, error: 'Unauthorized', message: 'Admin token required' })
      return
    }
    if (request.method !== 'GET' && request.method !== 'HEAD' && fromAnotherSite(request.headers)) {
      await reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'Cross-site admin requests are refused' })
    }
  })
  const describe = (): StatusDocument => {
    const doc: Record<string, unknown> = {}
    for (const [name, section] of sections) if (name !== 'pools') doc[name] = section()
    doc.pools = describePools(fastify.switchyard.pools).pools
    // The core's route table counts per route; without one, a `routes` section may come from `sections`.
    const table = (fastify.switchyard as { routes?: { table: RouteStatusSource } }).routes?.table
    if (table !== undefined) doc.routes = describeRoutes(table)
    const l4 = describeL4(fastify.switchyard.l4).l4
    if (l4 !== undefined) doc.l4 = l4
    if (fastify.switchyard.cache !== undefined && doc.cache === undefined) doc.cache = { store: fastify.switchyard.cache.store.kind }
    return doc as unknown as StatusDocument
  }

  // Draining (the app is closing, e.g. on SIGTERM): in-flight requests finish, no new work wanted.
  let draining = false
  fastify.addHook('preClose', (done) => { draining = true; done() })
  admin.get('/health', async (_request, reply) => {
    if (draining) return await reply.code(503).send({ status: 'draining', uptimeSeconds: Math.round(process.uptime()) })
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) }
  })
  admin.get('/status', async (request, reply) => await sendStatus(request, reply, JSON.stringify(describe())))
  admin.get('/', async (_request, reply) => {
    const { renderStatusPage, statusPageCsp } = await import('./page.js')
    const status = describe()
    const nonce = randomBytes(16).toString('base64')
    return await reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', statusPageCsp(nonce))
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(renderStatusPage(status, { nonce, etag: statusEtag(JSON.stringify(status)) }))
  })
  const metricAdders: Array<(registry: Registry) => void | Promise<void>> = []
  let made: Registry | undefined
  let making: Promise<Registry> | undefined
  const metrics = async (): Promise<Registry> => {
    making ??= (async () => {
      const { createMetricsRegistry } = await import('./metrics.js')
      const registry = createMetricsRegistry(fastify.switchyard.pools, () => fastify.switchyard.l4?.() ?? [])
      for (const add of metricAdders) await add(registry)
      made = registry
      return registry
    })()
    return await making
  }
  admin.get('/metrics', async (_request, reply) => {
    const registry = await metrics()
    const text = await registry.metrics()
    return reply.type(registry.contentType).send(text)
  })

  fastify.decorate('switchyardAdmin', admin)
  fastify.decorate('switchyardMetrics', metrics)
  fastify.decorate('addMetrics', (add: (registry: Registry) => void | Promise<void>) => {
    metricAdders.push(add)
    if (made !== undefined) {
      const registry = made
      making = (making ?? Promise.resolve(registry)).then(async () => { await add(registry); return registry })
    }
  })
  fastify.decorate('addStatusSection', (name: string, section: () => unknown) => { sections.set(name, section) })
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
export type { StatusDocument } from './page.js'

/** `true` when a browser says the request comes from a page of another site. */
function fromAnotherSite (headers: Record<string, string | string[] | undefined>): boolean {
  const site = headers['sec-fetch-site']
  if (typeof site === 'string' && UNSAFE_FROM_BROWSER.has(site)) return true
  const origin = headers.origin
  if (typeof origin !== 'string' || origin === 'null') return origin === 'null'
  try {
    return new URL(origin).host !== headers.host
  } catch {
    return true
  }
}
