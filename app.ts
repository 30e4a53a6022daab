/**
 * The bundled gateway: every Switchyard plugin, configured from the
 * environment (SPEC.md). `npm start` runs `main()`; tests call `buildGateway()`.
 */
import { pathToFileURL } from 'node:url'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import closeWithGrace from 'close-with-grace'
import { loadConfig, type GatewayConfig, type Env } from './config/index.js'
import { ConfigError } from './lib/validate.js'
import { pools } from './plugins/pools/index.js'
import { adminListener, adminAddress } from './plugins/admin/index.js'
import { health } from './plugins/health/index.js'
import { toErrorBody, NoRouteError } from './lib/errors.js'
import { compileTrust } from './lib/trust.js'
import { originFormOf } from './lib/request-target.js'
import { accessLogFields } from './lib/access-log.js'
import { gatewayRoutes } from './routes/index.js'
import { fastifyServerOptions, applyServerLimits, publicErrorBody, type ServerLimits } from './plugins/request-hygiene/index.js'
import { securityHeaders, gatewayHelmetOptions, helmetHeaderNames } from './plugins/security-headers/index.js'
import { compression } from './plugins/compression/index.js'
import type { DemoBackends } from './demo/backends.js'
import { readWorkers } from './config/env.js'
import type { ClusterWorkerSide } from './cluster/index.js'
import { describeConfiguredRoutes } from './config/describe.js'
import { ConfigReloader } from './config/reload.js'
import { addConfigRoutes } from './config/admin-routes.js'
import type { L4ListenerSet } from './plugins/l4/listener-set.js'
import { tuneV8ForGateway } from './lib/v8-tuning.js'
import { startIdleCollector } from './lib/idle-collector.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The bundled app's whole-config reload (SIGHUP, admin /config). */
    switchyardConfig: ConfigReloader
  }
}

/** How long SIGTERM waits for in-flight requests before exiting anyway. */
export const SHUTDOWN_GRACE_MS = 10_000
/** A start that failed exits at the latest this long after closing what had started. */
const FAILED_START_EXIT_MS = 2000

export interface BuildOptions {
  /** Log as the app would (default) or not at all (tests, benchmarks). */
  logger?: boolean
  /** Where log lines go (one JSON line per write); default stdout. */
  logStream?: { write: (line: string) => void }
  /** Run as a cluster worker (cluster/worker.ts): shared rate limits and health, admin served by the primary. */
  worker?: ClusterWorkerSide
}

/** Build the gateway app (not listening yet). Throws ConfigError on bad config. */
export async function buildGateway (config: GatewayConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { env } = config
  // With TLS the server is an HTTP/2 secure one (HTTP/1.1 by ALPN fallback); its
  // request/reply types differ, but every plugin here only uses their common part.
  const tls = env.tlsCert !== undefined && env.tlsKey !== undefined
    ? { certPath: env.tlsCert, keyPath: env.tlsKey }
    : undefined
  // TLS (certificates, reloader, redirect listener) loads only when configured.
  const tlsPlugin = tls === undefined ? undefined : await import('./plugins/tls/index.js')
  const app = Fastify({
    logger: options.logger === false ? false : { level: env.logLevel, ...(options.logStream !== undefined ? { stream: options.logStream } : {}) },
    trustProxy: compileTrust(env.trustProxy),
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // RFC 9112 §3.2.2: absolute-form targets are routed by their path; their authority becomes Host.
    rewriteUrl: originFormOf,
    // Fastify's own 400s (a path it cannot decode) in our format, without echoing the path.
    frameworkErrors: (error: Error, _request: FastifyRequest, reply: FastifyReply) => {
      const body = publicErrorBody(error)
      reply.code(body.statusCode).send(body)
    },
    // Request hygiene: header size (431), header/request timeouts (408), keep-alive, parser errors (400).
    ...fastifyServerOptions(serverLimits(env)),
    ...(tls !== undefined && tlsPlugin !== undefined ? tlsPlugin.httpsServerOptions(tlsPlugin.readCertificatePair(tls), { maxConcurrentStreams: env.h2MaxStreams }) : {})
  } as FastifyServerOptions) as unknown as FastifyInstance
  applyServerLimits(app.server, serverLimits(env))
  // PROXY protocol: GATEWAY_TRUST_PROXY peers must open with a v1/v2 header; it sets the client address.
  if (env.proxyProtocol) {
    const { proxyProtocol } = await import('./plugins/proxy-protocol/index.js')
    await app.register(proxyProtocol, { trust: compileTrust(env.trustProxy) })
  }
  app.setNotFoundHandler((_request, reply) => {
    const body = toErrorBody(new NoRouteError())
    reply.code(body.statusCode).send(body)
  })
  app.setErrorHandler((error, request, reply) => {
    const body = publicErrorBody(error as Parameters<typeof publicErrorBody>[0])
    if (body.statusCode >= 500) request.log.error({ err: error }, 'gateway error')
    reply.code(body.statusCode).send(body)
  })
  // One access line per request at `info`; below that, no hook on the request path at all.
  if (options.logger !== false && ['info', 'debug', 'trace'].includes(env.logLevel)) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(accessLogFields(request, reply), 'access')
      done()
    })
  }

  if (tls !== undefined && tlsPlugin !== undefined) {
    await app.register(tlsPlugin.tlsTermination, {
      ...tls,
      fields: { cert: 'GATEWAY_TLS_CERT', key: 'GATEWAY_TLS_KEY' },
      // A cluster worker reloads it when its primary relays a SIGHUP (cluster/worker.ts).
      ...(options.worker === undefined ? { reloadSignal: 'SIGHUP' as const } : {}),
      ...(env.httpRedirectPort !== undefined ? { redirectPort: env.httpRedirectPort, redirectHost: env.host } : {})
    })
  }
  await app.register(pools, { pools: config.pools, defaultBalancer: env.defaultBalancer, stickySecret: env.stickySecret })
  if (env.rateLimitMax !== undefined || config.routes.some((route) => route.rateLimit !== undefined)) {
    // (before the routes: their rate-limit links use it)
    const { rateLimits } = await import('./plugins/rate-limit/index.js')
    await app.register(rateLimits, {
      global: env.rateLimitMax !== undefined ? { max: env.rateLimitMax, windowMs: env.rateLimitWindowMs } : undefined,
      redisUrl: env.redisUrl,
      store: options.worker?.rateLimitStore
    })
  }
  const cached = env.cache !== 'off' || config.routes.some((route) => route.cache !== undefined && route.cache !== false)
  // The cache (and, for `redis`, its client) loads only when some route is cached.
  const cachePlugin = cached ? await import('./plugins/cache/index.js') : undefined
  if (cachePlugin !== undefined) {
    const { responseCache } = cachePlugin
    // GATEWAY_CACHE=memory|redis caches every route; with `off`, routes declaring `cache` share a memory store.
    await app.register(responseCache, {
      store: env.cache === 'redis' ? 'redis' : 'memory',
      maxBytes: env.cacheMaxBytes,
      allRoutes: env.cache !== 'off',
      ...(env.redisUrl !== undefined ? { redisUrl: env.redisUrl } : {})
    })
  }
  // Response filters for every route: they hook each route declared after them.
  if (env.securityHeaders) {
    await app.register(securityHeaders, {
      ...(env.csp !== undefined ? { csp: env.csp } : {}),
      // Unset: a backend's own value wins for every header but HSTS (the gateway terminates TLS).
      backendWins: env.securityHeadersBackendWins.length > 0 ? env.securityHeadersBackendWins : helmetHeaderNames(gatewayHelmetOptions(env.csp, 'GATEWAY_CSP'), 'GATEWAY_CSP'),
      hsts: { maxAgeSeconds: env.hstsMaxAge },
      fields: { csp: 'GATEWAY_CSP' }
    })
  }
  if (env.compression) await app.register(compression, { threshold: env.compressionThreshold, appRoutes: false })
  // GATEWAY_HEALTH_ROUTE: answered by the gateway itself, for a balancer in front; while the app
  // drains Fastify answers 503 (return503OnClosing) before any handler runs.
  if (env.healthRoute !== undefined) app.get(env.healthRoute, async () => ({ status: 'ok' }))
  // Errors name the config file's fields when the config comes from one.
  const fieldRoot = env.configPath !== undefined ? 'GATEWAY_CONFIG.' : ''
  await app.register(gatewayRoutes, { routes: config.routes, trustProxy: env.trustProxy, bodyLimit: env.bodyLimitBytes, field: `${fieldRoot}routes` })
  await app.register(adminListener, {
    port: env.adminPort,
    host: env.adminHost,
    ...(env.adminToken !== undefined ? { token: env.adminToken } : {}),
    listen: options.worker === undefined
  })
  if (cachePlugin !== undefined) await app.register(cachePlugin.cachePurge)
  await app.register(health, { activeChecks: options.worker === undefined })
  if (options.worker !== undefined) await app.register(options.worker.plugin)
  // Layer 4 listeners (config file `tcp`/`udp`) over the same pools and health checks.
  if (config.tcp.length > 0 || config.udp.length > 0) {
    const { l4 } = await import('./plugins/l4/index.js')
    await app.register(l4, { tcp: config.tcp, udp: config.udp, host: env.host, field: fieldRoot })
  }
  wireConfigReload(app, config)
  return app
}

/**
 * Whole-config reload: `app.switchyardConfig`, the admin `/config` routes,
 * `configVersion`/`loadedAt` and the configured routes' settings
 * in /status, reload counters in /metrics.
 */
function wireConfigReload (app: FastifyInstance, config: GatewayConfig): void {
  // A gateway started without L4 listeners gets its set from the first reload that brings some.
  let madeL4: L4ListenerSet | undefined
  const reloader = new ConfigReloader({
    pools: app.switchyard.pools,
    env: config.env,
    initial: config,
    routes: () => app.switchyard.routes,
    l4: async (create) => {
      if (app.switchyard.l4Listeners !== undefined || !create) return app.switchyard.l4Listeners
      const { L4ListenerSet } = await import('./plugins/l4/listener-set.js')
      const set = new L4ListenerSet({ defaultHost: config.env.host, log: app.log })
      app.switchyard.l4Listeners = set
      app.switchyard.l4 = () => set.describe()
      madeL4 = set
      return set
    },
    log: app.log
  })
  app.addHook('preClose', (done) => { madeL4?.close().catch(() => {}); done() })
  app.addHook('onClose', async () => { await madeL4?.close() })
  app.decorate('switchyardConfig', reloader)
  addConfigRoutes(app.switchyardAdmin, reloader, config.env)
  app.addStatusSection('configVersion', () => reloader.version)
  app.addStatusSection('loadedAt', () => reloader.loadedAt)
  app.addStatusSection('configuredRoutes', () => describeConfiguredRoutes(reloader.current.config.routes))
  app.addMetrics(async (registry) => { (await import('./config/reload-metrics.js')).countReloads(registry, reloader) })
}

function serverLimits (env: GatewayConfig['env']): ServerLimits {
  return {
    maxHeaderBytes: env.maxHeaderBytes,
    headersTimeoutMs: env.headersTimeoutMs,
    requestTimeoutMs: env.requestTimeoutMs,
    keepAliveTimeoutMs: env.keepAliveTimeoutMs
  }
}

/** Start the bundled gateway from `env`; returns the app (listening) and a stop function. */
export async function startGateway (envVars: Env, buildOptions: BuildOptions = {}): Promise<{ app: FastifyInstance, stop: () => Promise<void> }> {
  const config = loadConfig(envVars)
  let demo: DemoBackends | undefined
  if (config.demo) {
    // No upstream configured (perhaps a mistyped variable): nothing to expose beyond this machine.
    if ((envVars.HOST ?? '').trim() === '') config.env.host = '127.0.0.1'
    demo = await (await import('./demo/backends.js')).startDemoBackends(3)
    // The same backends twice: balanced at `/`, and with sticky cookies at `/sticky`.
    config.pools = { demo: { targets: demo.urls }, 'demo-sticky': { targets: demo.urls, sticky: { cookie: 'sy_demo', sameSite: 'Lax' } } }
    config.routes = [{ path: '/', pool: 'demo' }, { path: '/sticky', pool: 'demo-sticky', stripPrefix: true }]
  }
  let app: FastifyInstance | undefined
  try {
    app = await buildGateway(config, buildOptions)
    await app.listen({ host: config.env.host, port: config.env.port })
  } catch (err) {
    // A listener that failed (port in use, …): close what did start (admin,
    // redirect listener, health checks, Redis) so nothing keeps running half-up.
    await app?.close().catch(() => {})
    await demo?.close()
    throw err
  }
  if (demo !== undefined && buildOptions.worker === undefined) {
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : config.env.port
    app.log.info(`demo mode: no upstream configured, so ${demo.urls.length} sample backends run on loopback behind the gateway. Try:\n` +
      `  curl -s http://127.0.0.1:${port}/hello            # repeat it: the "backend" field rotates\n` +
      `  curl -s -c /tmp/sy.jar -b /tmp/sy.jar http://127.0.0.1:${port}/sticky/hello   # repeat it: a signed cookie keeps you on one backend\n` +
      `  curl -s ${adminAddress(app)}/status   # pools, targets and their live state`)
  }
  // SIGHUP re-reads GATEWAY_CONFIG, validates it whole and applies it (or keeps the running one; both are logged).
  const reload = (): void => {
    if (config.env.configPath === undefined) return
    app.switchyardConfig.reloadFile().catch(() => {})
  }
  // A cluster worker reloads when its primary says so (cluster/worker.ts), not on a SIGHUP of its own.
  if (buildOptions.worker === undefined) process.on('SIGHUP', reload)
  const stop = async (): Promise<void> => {
    process.off('SIGHUP', reload)
    await app.close()
    await demo?.close()
  }
  return { app, stop }
}

export async function main (): Promise<void> {
  tuneV8ForGateway()
  // A quiet spell after a busy one gives the busy one's garbage back (lib/idle-collector.ts).
  startIdleCollector()
  let started: Awaited<ReturnType<typeof startGateway>>
  try {
    const workers = readWorkers(process.env)
    if (workers > 1) {
      // GATEWAY_WORKERS > 1: node:cluster (cluster/); the primary and each worker handle their own signals.
      await (await import('./cluster/index.js')).runCluster(process.env, { workers, graceMs: SHUTDOWN_GRACE_MS, startGateway })
      return
    }
    started = await startGateway(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchyard: invalid configuration: ${err.message}\n`)
    } else {
      process.stderr.write(`switchyard: failed to start: ${(err as Error).message}\n`)
    }
    process.exitCode = 1
    // Everything is closed; should a handle still hold the event loop, exit anyway.
    setTimeout(() => process.exit(1), FAILED_START_EXIT_MS).unref()
    return
  }
  // SIGHUP reloads (the config file's targets, the TLS certificate) rather than stopping.
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: started.app.log, skip: ['SIGHUP'] }, async ({ signal, err }) => {
    if (err !== undefined) started.app.log.error({ err }, 'stopping after an error')
    else started.app.log.info({ signal }, 'stopping: finishing in-flight requests')
    await started.stop()
  })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main()
}
