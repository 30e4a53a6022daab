/**
 * A plugin user's app, compiled by test/regression/plugin-types-skiplibcheck.test.ts
 * with `tsc` against the built package (`switchyard` → dist/) and
 * `skipLibCheck: false`: the published types must compile as a user sees
 * them, and must not demand options that the runtime defaults. Not run.
 */
import Fastify from 'fastify'
import {
  pools, gatewayRoutes, adminListener, health, responseCache, rateLimits, tlsTermination,
  httpsServerOptions, readCertificatePair, ConfigError,
  type PoolConfigInput, type TlsOptions
} from 'switchyard'

const api: PoolConfigInput = {
  targets: ['http://127.0.0.1:3001', { url: 'http://127.0.0.1:3002', weight: 2 }],
  // Only `path` is required; interval, timeout, thresholds and expected status default.
  health: { path: '/health' },
  outlier: { consecutiveFailures: 3 },
  sticky: { cookie: 'sy_api' }
}

export async function build (certPath: string, keyPath: string): Promise<void> {
  const tls: TlsOptions = { certPath, keyPath }
  const app = Fastify({ ...httpsServerOptions(readCertificatePair(tls), { maxConcurrentStreams: 100 }) })
  await app.register(tlsTermination, tls)
  await app.register(pools, { pools: { api } })
  await app.register(rateLimits, { global: { max: 100, windowMs: 60_000 } })
  await app.register(responseCache, { maxBytes: 32 * 1024 * 1024 })
  await app.register(gatewayRoutes, { routes: [{ path: '/api', pool: 'api', stripPrefix: true }] })
  await app.register(adminListener, { port: 0 })
  await app.register(health)
  app.get('/', async () => ({ hello: 'own route' }))
  try {
    await app.ready()
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.field)
  }
}
