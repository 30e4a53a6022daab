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
 *
 * With `activeChecks: false` (cluster workers) this process probes nothing:
 * another process does, and its results arrive through
 * `fastify.switchyardHealth.applyShared` (see `shared-state.ts`).
 */
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { refuseUnknownOptions } from '../../lib/validate.js'
import type { HealthChecker } from './health-checker.js'
import { OutlierDetector } from './outlier-detector.js'
import { createPoolHealthChecker } from './pool-checker.js'
import { applyHealthUpdate, type SharedHealthUpdate } from './shared-state.js'
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
  /**
   * Run the pools' active health checks in this process. Default true; false
   * when another process checks and shares the results (`applyShared`).
   */
  activeChecks?: boolean
}

/** Decorated as `fastify.switchyardHealth`. */
export interface SwitchyardHealth {
  /** Apply an active-check result made by another process; unknown pools or targets are ignored. */
  applyShared: (update: SharedHealthUpdate) => void
}

declare module 'fastify' {
  interface FastifyInstance {
    switchyardHealth: SwitchyardHealth
  }
}

const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (fastify, options) => {
  refuseUnknownOptions(options, ['adminRoutes', 'drainConnectionsOnClose', 'activeChecks'], 'switchyard-health')
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
    const checker = (options.activeChecks ?? true) ? createPoolHealthChecker(pool, outlier, log) : undefined
    if (checker !== undefined) checkers.push(checker)
  }
  fastify.decorate('switchyardHealth', {
    applyShared: (update: SharedHealthUpdate) => {
      const pool = pools.get(update.kind === 'state' ? update.state.pool : update.pool)
      const target = pool?.findTarget(update.kind === 'state' ? update.state.targetId : update.targetId)
      if (pool === undefined || target === undefined) return
      applyHealthUpdate(target, update, pool.outlier instanceof OutlierDetector ? pool.outlier : undefined, Date.now())
    }
  })
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
export { HealthChecker, parseStatusRange, HEALTH_CHECK_JITTER, type HealthCheckerOptions, type HealthCheckConfig, type ProbeResult } from './health-checker.js'
export { createPoolHealthChecker } from './pool-checker.js'
export { describeHealthState, applyHealthUpdate, type SharedHealthState, type SharedHealthUpdate } from './shared-state.js'
export { OutlierDetector, type OutlierConfig, type OutlierPool } from './outlier-detector.js'
export { RetryBudget, type RetryBudgetOptions } from '../pools/retry-budget.js'
export type { HealthLogger } from './logger.js'
