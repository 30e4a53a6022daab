/**
 * Active health checks in the cluster primary: one `HealthChecker` per pool
 * over the primary's own copy of the pools (no traffic goes through it), so
 * each target is probed once per interval whatever the number of workers.
 * Each change of a target's state, and each run of `healthyThreshold` passes
 * (which ends a worker's outlier ejection early), is handed to `broadcast`;
 * `snapshot()` is the whole current state for a worker that starts.
 */
import type { PoolRegistry } from '../plugins/pools/index.js'
import { createPoolHealthChecker, type HealthChecker, type HealthLogger } from '../plugins/health/index.js'
import { describeHealthState, type SharedHealthState, type SharedHealthUpdate } from '../plugins/health/shared-state.js'

export class PrimaryHealthChecks {
  private readonly pools: PoolRegistry
  private readonly checkers: HealthChecker[] = []

  constructor (pools: PoolRegistry, log: HealthLogger, broadcast: (updates: SharedHealthUpdate[]) => void) {
    this.pools = pools
    for (const pool of pools) {
      const threshold = pool.config.health?.healthyThreshold ?? 1
      const checker = createPoolHealthChecker(pool, undefined, log, (target, result) => {
        const updates: SharedHealthUpdate[] = []
        if (result.changed) updates.push({ kind: 'state', state: describeHealthState(pool.name, target) })
        if (result.passed && result.okStreak % threshold === 0) updates.push({ kind: 'passes', pool: pool.name, targetId: target.id })
        if (updates.length > 0) broadcast(updates)
      })
      if (checker !== undefined) this.checkers.push(checker)
    }
  }

  get checkedPools (): number {
    return this.checkers.length
  }

  start (): void {
    for (const checker of this.checkers) checker.start()
  }

  stop (): void {
    for (const checker of this.checkers) checker.stop()
  }

  /** Every checked target's state, for a worker that starts. */
  snapshot (): SharedHealthUpdate[] {
    const updates: SharedHealthUpdate[] = []
    for (const pool of this.pools) {
      if (pool.config.health === undefined) continue
      for (const target of pool.targets) updates.push({ kind: 'state', state: describeHealthState(pool.name, target) })
    }
    return updates
  }

  /** The same state by pool and target id (for `/status`). */
  states (): Map<string, Map<string, SharedHealthState>> {
    const byPool = new Map<string, Map<string, SharedHealthState>>()
    for (const update of this.snapshot()) {
      if (update.kind !== 'state') continue
      let byId = byPool.get(update.state.pool)
      if (byId === undefined) byPool.set(update.state.pool, byId = new Map())
      byId.set(update.state.targetId, update.state)
    }
    return byPool
  }
}
