/**
 * The active health checker of one pool, made from the pool's `health`
 * config (with its `expectStatus` checked and its TLS CA read) and kept
 * following the pool's target list on reload. Used by the health plugin and,
 * in cluster mode, by the primary process (`cluster/primary-health.ts`).
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../../lib/validate.js'
import type { Pool } from '../pools/pool.js'
import { HealthChecker, parseStatusRange, type HealthCheckerOptions } from './health-checker.js'
import type { OutlierDetector } from './outlier-detector.js'
import type { HealthLogger } from './logger.js'

/** A checker for `pool`, or `undefined` when it has no `health` config. Not started; `follow` keeps it on the pool's target list (the health plugin follows itself, to stop on reload). */
export function createPoolHealthChecker (
  pool: Pool, outlier: OutlierDetector | undefined, log: HealthLogger, onResult?: HealthCheckerOptions['onResult'], follow = true
): HealthChecker | undefined {
  const health = pool.config.health
  if (health === undefined) return undefined
  if ((health.type ?? 'http') === 'http' && health.path === undefined) {
    throw new ConfigError(`pools.${pool.name}.health.path`, 'is required for an http health check (or set health.type to "tcp")')
  }
  try {
    parseStatusRange(health.expectStatus)
  } catch {
    throw new ConfigError(`pools.${pool.name}.health.expectStatus`, `must be a status or a low-high range such as "200-399", got "${health.expectStatus}"`)
  }
  const tls = pool.config.tls
  const checker = new HealthChecker({
    poolName: pool.name,
    targets: () => pool.targets,
    health,
    slowStartMs: pool.config.slowStartMs,
    tls: tls === undefined ? undefined : { rejectUnauthorized: tls.rejectUnauthorized, ca: tls.ca === undefined ? undefined : readFileSync(tls.ca) },
    outlier,
    log,
    onResult
  })
  if (follow) {
    pool.onTargetsChanged(({ added, removed }) => {
      for (const target of removed) checker.removeTarget(target)
      for (const target of added) checker.addTarget(target)
    })
  }
  return checker
}
