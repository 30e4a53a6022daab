/**
 * `switchyard-health`: active health checks and passive outlier detection
 * for every pool that configures them (`health`, `outlier`), and the admin
 * routes that drain a target by hand; on close, client connections are
 * closed as their last request finishes (graceful shutdown).
 *
 * Place in the request chain: none of its own. It writes the targets' state
 * that the balancer link reads (`healthy`, `ejectedUntil`, `draining`, the
 * slow-start ramp) and receives the upstream link's outcomes through
 * `Pool.outlier`. Checks start when the app is ready and stop on close.
 *
 * Combination rule: a target takes new requests only when it is healthy by
 * active checks AND not ejected by outlier detection AND not draining. An
 * ejection ends after its time, or early once active checks pass
 * `healthyThreshold` times in a row during it; active checks never put back
 * a target that traffic keeps failing on faster than that.
 */
import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { ConfigError } from '../../lib/validate.js'
import { HealthChecker, parseStatusRange } from './health-checker.js'
import { OutlierDetector } from './outlier-detector.js'
import { addDrainRoutes } from './drain-routes.js'
import { closeIdleConnectionsOnClose } from './shutdown.js'

export interface HealthPluginOptions {
  /** Add `POST /targets/:pool/:id/drain` and `/undrain` to the admin listener when it is registered. Default true. */
  adminRoutes?: boolean
  /**
   * On close, keep closing client connections as they become idle, so that
   * keep-alive clients don't hold the shutdown until their timeout. Default true.
   */
  drainConnectionsOnClose?: boolean
}

const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (fastify, options) => {
  const checkers: HealthChecker[] = []
  const detectors: OutlierDetector[] = []
  const pools = fastify.switchyard.pools
  for (const pool of pools) {
    const log = fastify.log
    let outlier: OutlierDetector | undefined
    if (pool.config.outlier !== undefined) {
      outlier = new OutlierDetector(pool, pool.config.outlier, log)
      pool.outlier = outlier
      detectors.push(outlier)
    }
    if (pool.config.health !== undefined) {
      try {
        parseStatusRange(pool.config.health.expectStatus)
      } catch {
        throw new ConfigError(`pools.${pool.name}.health.expectStatus`, `must be a status or a low-high range such as "200-399", got "${pool.config.health.expectStatus}"`)
      }
      const tls = pool.config.tls
      const checker = new HealthChecker({
        poolName: pool.name,
        targets: () => pool.targets,
        health: pool.config.health,
        slowStartMs: pool.config.slowStartMs,
        tls: tls === undefined ? undefined : { rejectUnauthorized: tls.rejectUnauthorized, ca: tls.ca === undefined ? undefined : readFileSync(tls.ca) },
        outlier,
        log
      })
      checkers.push(checker)
      pool.onTargetsChanged(({ added, removed }) => {
        for (const target of removed) checker.removeTarget(target)
        for (const target of added) checker.addTarget(target)
      })
    }
  }
  if ((options.adminRoutes ?? true) && fastify.hasDecorator('switchyardAdmin')) {
    addDrainRoutes(fastify.switchyardAdmin, pools, fastify.log)
  }

  if (options.drainConnectionsOnClose ?? true) closeIdleConnectionsOnClose(fastify)

  fastify.addHook('onReady', async () => {
    for (const checker of checkers) checker.start()
  })
  fastify.addHook('onClose', async () => {
    for (const checker of checkers) checker.stop()
    for (const detector of detectors) detector.close()
    if (checkers.length > 0) fastify.log.info({ pools: checkers.length }, 'health checks stopped')
  })
}

export const health = fp(healthPlugin, {
  fastify: '5.x',
  name: 'switchyard-health',
  dependencies: ['switchyard-pools']
})
export default health
export { HealthChecker, parseStatusRange, HEALTH_CHECK_JITTER, type HealthCheckerOptions, type HealthCheckConfig } from './health-checker.js'
export { OutlierDetector, type OutlierConfig, type OutlierPool } from './outlier-detector.js'
export { RetryBudget, type RetryBudgetOptions } from './retry-budget.js'
export type { HealthLogger } from './logger.js'
