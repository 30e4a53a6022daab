/**
 * The worker side of a cluster: the bundled gateway as in one process, with
 * what the primary shares plugged in (`ClusterWorkerSide`, passed to
 * `buildGateway`): rate limits counted in the primary (`rate-limit-store.ts`),
 * no active health checks (the primary's results are applied, the whole
 * state before the worker listens), and an admin instance that does not
 * listen (the primary forwards to it and asks for this worker's `/status`
 * and metrics). SIGTERM drains as in one process (`main()` in app.ts); a
 * reload comes from the primary over IPC (its own SIGHUP is ignored); SIGINT is left to the primary (a terminal's Ctrl-C reaches
 * every process of the group: the primary then drains the workers once).
 *
 * L4 listeners: every worker binds them (through the primary, as node:cluster
 * does: TCP connections are handed round-robin, a UDP socket is shared). A
 * shared UDP socket read by every worker would split one client's datagrams
 * into a session per worker, so the worker's L4 listener set — whoever makes
 * it: `switchyard-l4` at start, the reloader when a reload brings the first
 * listeners — binds UDP without reading until the primary names this worker
 * the reader (`switchyard:udp-reader`): one worker at a time holds the UDP
 * sessions. (The set is caught as it is stored on `fastify.switchyard`, so
 * that the L4 code still loads only when listeners are configured.)
 */
import cluster from 'node:cluster'
import fp from 'fastify-plugin'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import { describePools, describeRoutes, type RouteStatusSource } from '../plugins/admin/status.js'
import { describeConfiguredRoutes } from '../config/describe.js'
import { createMetricsRegistry } from '../plugins/admin/metrics.js'
import type { Registry } from 'prom-client'
import type { Env } from '../config/index.js'
import type { L4ListenerSet } from '../plugins/l4/listener-set.js'
import { processChannel, type Channel, type ToPrimary, type ToWorker, type ForwardedAdminRequest, type ForwardedAdminResponse } from './ipc.js'
import { RateLimitClient, ipcRateLimitStore } from './rate-limit-store.js'

/** How long a starting worker waits for the primary's health state before it listens anyway. */
export const HEALTH_SNAPSHOT_TIMEOUT_MS = 2000

/** What `buildGateway` plugs in to run as a cluster worker. */
export interface ClusterWorkerSide {
  rateLimitStore: FastifyRateLimitStoreCtor
  /** Registered after `switchyard-health`. */
  plugin: FastifyPluginAsync
}

/** The gateway as `startGateway` returns it. */
export interface StartedGateway {
  app: FastifyInstance
  stop: () => Promise<void>
}

export type StartGateway = (envVars: Env, options: { worker: ClusterWorkerSide }) => Promise<StartedGateway>

/** Start this worker's gateway, tell the primary it listens; on SIGTERM finish in-flight requests (up to `graceMs`) and exit. */
export async function startWorker (envVars: Env, startGateway: StartGateway, graceMs: number): Promise<void> {
  const channel = processChannel()
  let started: StartedGateway
  try {
    started = await startGateway(envVars, { worker: createWorkerSide(channel) })
  } catch (err) {
    // The IPC channel would keep this process alive: let it go, so it exits (main() sets the code) and the primary sees it.
    cluster.worker?.disconnect()
    throw err
  }
  const address = started.app.server.address()
  process.on('SIGINT', () => {})
  // Reloads come from the primary (`switchyard:reload`), one per SIGHUP it gets. A SIGHUP to the
  // whole process group (a terminal's hangup, `kill -HUP -PGID`) reaches the workers too, and
  // would reload each one twice; without a listener it would end them.
  process.on('SIGHUP', () => {})
  closeWithGrace({ delay: graceMs, logger: started.app.log, skip: ['SIGHUP', 'SIGINT'] }, async ({ signal, err }) => {
    if (err !== undefined) started.app.log.error({ err }, 'stopping after an error')
    else started.app.log.info({ signal }, 'stopping: finishing in-flight requests')
    await started.stop()
  })
  channel.send({ type: 'switchyard:listening', address: typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address) })
}

export function createWorkerSide (channel: Channel<ToPrimary, ToWorker>): ClusterWorkerSide {
  const rateLimits = new RateLimitClient(channel)
  const plugin: FastifyPluginAsync = async (fastify) => {
    const pools = fastify.switchyard.pools
    // The L4 listener set, caught as it is stored (by `switchyard-l4`, or by the reloader on the first reload that
    // brings listeners), before it binds anything: it reads UDP only once the primary names this worker.
    let l4Listeners: L4ListenerSet | undefined
    let readsUdp = false
    Object.defineProperty(fastify.switchyard, 'l4Listeners', {
      configurable: true,
      enumerable: true,
      get: () => l4Listeners,
      set: (set: L4ListenerSet | undefined) => {
        l4Listeners = set
        set?.setUdpReading(readsUdp)
      }
    })
    // The admin plugin's registry when it is there (the bundled app), so metrics are collected once.
    let own: Registry | undefined
    const metrics = fastify.hasDecorator('switchyardMetrics') ? fastify.switchyardMetrics : async () => (own ??= createMetricsRegistry(pools))
    let snapshotArrived: () => void = () => {}
    const snapshot = new Promise<void>((resolve) => { snapshotArrived = resolve })
    const stopListening = channel.onMessage((message) => {
      switch (message.type) {
        case 'switchyard:health':
          for (const update of message.updates) fastify.switchyardHealth.applyShared(update)
          if (message.snapshot) snapshotArrived()
          break
        case 'switchyard:report-request':
          metrics().then(async (registry) => await registry.getMetricsAsJSON()).then((json) => {
            const listeners = fastify.switchyard.l4?.()
            const reloader = fastify.hasDecorator('switchyardConfig') ? fastify.switchyardConfig : undefined
            const table = (fastify.switchyard as { routes?: { table: RouteStatusSource } }).routes?.table
            const cache = fastify.switchyard.cache
            channel.send({
              type: 'switchyard:report',
              id: message.id,
              report: {
                pools: describePools(pools).pools,
                ...(listeners !== undefined ? { l4: listeners } : {}),
                ...(reloader !== undefined
                  ? { config: { version: reloader.version, loadedAt: reloader.loadedAt }, configuredRoutes: describeConfiguredRoutes(reloader.current.config.routes) }
                  : {}),
                ...(table !== undefined ? { routes: describeRoutes(table) } : {}),
                ...(cache !== undefined ? { cache: { store: cache.store.kind } } : {}),
                metrics: json
              }
            })
          }, (err: unknown) => { fastify.log.warn({ err }, 'metrics not collected for the primary') })
          break
        case 'switchyard:udp-reader':
          readsUdp = message.reading
          l4Listeners?.setUdpReading(readsUdp)
          break
        case 'switchyard:reload':
          // What a SIGHUP does in one process: the TLS certificate, and the config file when there is one.
          if (fastify.hasDecorator('switchyardTls')) fastify.switchyardTls.reload()
          // Without GATEWAY_CONFIG there is nothing to re-read: reloadFile refuses, as a SIGHUP in one process does nothing.
          if (fastify.hasDecorator('switchyardConfig')) fastify.switchyardConfig.reloadFile().catch(() => {})
          break
        case 'switchyard:admin-request':
          answerAdmin(fastify, message.request).then((response) => {
            channel.send({ type: 'switchyard:admin-response', id: message.id, response })
          }, () => {})
          break
      }
    })
    // Before the listener opens: take the primary's health state (a target it knows is down stays out).
    fastify.addHook('onReady', async () => {
      // The bundled app's reloader (decorated after this plugin): the primary hears of each reload.
      if (fastify.hasDecorator('switchyardConfig')) {
        fastify.switchyardConfig.onOutcome((outcome) => { channel.send({ type: 'switchyard:reload-outcome', ...outcome }) })
      }
      channel.send({ type: 'switchyard:hello' })
      let timer: NodeJS.Timeout | undefined
      await Promise.race([snapshot, new Promise<void>((resolve) => { timer = setTimeout(resolve, HEALTH_SNAPSHOT_TIMEOUT_MS) })])
      clearTimeout(timer)
    })
    fastify.addHook('onClose', async () => {
      stopListening()
      rateLimits.close()
    })
  }
  return {
    rateLimitStore: ipcRateLimitStore(rateLimits),
    plugin: fp(plugin, { fastify: '5.x', name: 'switchyard-cluster-worker', dependencies: ['switchyard-pools', 'switchyard-health'] })
  }
}

async function answerAdmin (fastify: FastifyInstance, request: ForwardedAdminRequest): Promise<ForwardedAdminResponse> {
  if (!fastify.hasDecorator('switchyardAdmin')) return { statusCode: 404, contentType: 'application/json', body: '{"statusCode":404,"error":"Not Found"}' }
  try {
    const response = await fastify.switchyardAdmin.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: request.headers,
      ...(request.body !== undefined ? { payload: request.body } : {})
    })
    const contentType = response.headers['content-type']
    return { statusCode: response.statusCode, contentType: typeof contentType === 'string' ? contentType : undefined, body: response.body }
  } catch {
    return { statusCode: 500, contentType: 'application/json', body: '{"statusCode":500,"error":"Internal Server Error"}' }
  }
}
