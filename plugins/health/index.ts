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
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { refuseUnknownOptions } from '../../lib/validate.js'
import type { HealthChecker } from './health-checker.js'
import { createPoolHealthChecker } from './pool-checker.js'
import { applyHealthUpdate, type SharedHealthUpdate } from './shared-state.js'
import { OutlierDetector } from './outlier-detector.js'
import { addDrainRoutes } from './drain-routes.js'
import { closeIdleConnectionsOnClose } from './shutdown.js'
import type { Pool } from '../pools/index.js'

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

/** One pool's health machinery, made from its config and replaced when that config changes. */
interface PoolHealth {
  checker: HealthChecker | undefined
  detector: OutlierDetector | undefined
  stopFollowing: (() => void) | undefined
  /** The config it was made from (`health`, `outlier`, `slowStartMs`, `tls`). */
  key: string
}

const healthKey = (pool: Pool): string => JSON.stringify([pool.config.health ?? null, pool.config.outlier ?? null, pool.config.slowStartMs, pool.config.tls ?? null])

const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (fastify, options) => {
  refuseUnknownOptions(options, ['adminRoutes', 'drainConnectionsOnClose', 'activeChecks'], 'switchyard-health')
  const pools = fastify.switchyard.pools
  const log = fastify.log
  const activeChecks = options.activeChecks ?? true
  const units = new Map<Pool, PoolHealth>()
  let running = false

  /** Build a pool's checker and detector (throws a ConfigError on a bad status range, before anything is set). */
  const attach = (pool: Pool): void => {
    let detector: OutlierDetector | undefined
    if (pool.config.outlier !== undefined) {
      detector = new OutlierDetector(pool, pool.config.outlier, log)
      detector.adoptEjections(Date.now())
    }
    // (Validates `health` first: a bad status range or missing path throws before anything is set.)
    const checker = activeChecks ? createPoolHealthChecker(pool, detector, log, undefined, false) : undefined
    pool.outlier = detector
    const probe = checker
    const stopFollowing = probe === undefined
      ? undefined
      : pool.onTargetsChanged(({ added, removed }) => {
        for (const target of removed) probe.removeTarget(target)
        for (const target of added) probe.addTarget(target)
      })
    units.set(pool, { checker, detector, stopFollowing, key: healthKey(pool) })
    if (running) checker?.start()
  }

  const detach = (pool: Pool): void => {
    const unit = units.get(pool)
    if (unit === undefined) return
    units.delete(pool)
    unit.stopFollowing?.()
    unit.checker?.stop()
    unit.detector?.close()
    if (pool.outlier === unit.detector) pool.outlier = undefined
  }

  for (const pool of pools) attach(pool)
  // Whole-config reload: removed pools stop being checked, new ones start, changed health settings get new checkers.
  // The targets keep their state (healthy, ejectedUntil): a target that was out stays out until checks say otherwise.
  pools.onPoolsChanged(({ added, changed, removed }) => {
    for (const pool of removed) detach(pool)
    for (const { pool } of changed) {
      if (units.get(pool)?.key === healthKey(pool)) continue
      detach(pool)
      attach(pool)
    }
    for (const pool of added) attach(pool)
  })
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
    running = true
    for (const unit of units.values()) unit.checker?.start()
  })
  fastify.addHook('onClose', async () => {
    running = false
    const checked = [...units.values()].filter((unit) => unit.checker !== undefined).length
    for (const pool of [...units.keys()]) detach(pool)
    if (checked > 0) fastify.log.info({ pools: checked }, 'health checks stopped')
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
