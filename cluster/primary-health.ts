/**
 * Active health checks in the cluster primary: one `HealthChecker` per pool
 * over the primary's own copy of the pools (no traffic goes through it), so
 * each target is probed once per interval whatever the number of workers.
 * Each change of a target's state, and each run of `healthyThreshold` passes
 * (which ends a worker's outlier ejection early), is handed to `broadcast`;
 * `snapshot()` is the whole current state for a worker that starts. The
 * checkers follow the primary's pools
 * through a reload (which the primary applies once every worker has: their
 * pools exist when the first results are broadcast) as the health plugin's
 * do in one process: pools added get a checker, removed ones lose theirs, a
 * changed `health` gets a new one, target lists are followed.
 */
import type { Pool, PoolRegistry } from '../plugins/pools/index.js'
import { createPoolHealthChecker, type HealthChecker, type HealthLogger } from '../plugins/health/index.js'
import { describeHealthState, type SharedHealthState, type SharedHealthUpdate } from '../plugins/health/shared-state.js'

interface PoolChecker {
  checker: HealthChecker
  stopFollowing: () => void
  /** The settings it was made from (`health`, `slowStartMs`, `tls`). */
  key: string
}

const checkerKey = (pool: Pool): string => JSON.stringify([pool.config.health ?? null, pool.config.slowStartMs, pool.config.tls ?? null])

export class PrimaryHealthChecks {
  private readonly pools: PoolRegistry
  private readonly log: HealthLogger
  private readonly broadcast: (updates: SharedHealthUpdate[]) => void
  private readonly checkers = new Map<Pool, PoolChecker>()
  private running = false

  constructor (pools: PoolRegistry, log: HealthLogger, broadcast: (updates: SharedHealthUpdate[]) => void) {
    this.pools = pools
    this.log = log
    this.broadcast = broadcast
    for (const pool of pools) this.attach(pool)
    pools.onPoolsChanged(({ added, changed, removed }) => {
      for (const pool of removed) this.detach(pool)
      for (const { pool } of changed) {
        if (this.checkers.get(pool)?.key === checkerKey(pool)) continue
        this.detach(pool)
        this.attach(pool)
      }
      for (const pool of added) this.attach(pool)
    })
  }

  get checkedPools (): number {
    return this.checkers.size
  }

  start (): void {
    this.running = true
    for (const { checker } of this.checkers.values()) checker.start()
  }

  stop (): void {
    this.running = false
    for (const pool of [...this.checkers.keys()]) this.detach(pool)
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

  private attach (pool: Pool): void {
    const threshold = pool.config.health?.healthyThreshold ?? 1
    let checker: HealthChecker | undefined
    try {
      checker = createPoolHealthChecker(pool, undefined, this.log, (target, result) => {
        const updates: SharedHealthUpdate[] = []
        if (result.changed) updates.push({ kind: 'state', state: describeHealthState(pool.name, target) })
        if (result.passed && result.okStreak % threshold === 0) updates.push({ kind: 'passes', pool: pool.name, targetId: target.id })
        if (updates.length > 0) this.broadcast(updates)
      }, false)
    } catch (err) {
      // The workers refuse such a config themselves (the start checks it first); the primary checks nothing for this pool.
      this.log.warn({ pool: pool.name, err: (err as Error).message }, 'health checks of this pool not started in the primary')
      return
    }
    if (checker === undefined) return
    const probe = checker
    const stopFollowing = pool.onTargetsChanged(({ added, removed }) => {
      for (const target of removed) probe.removeTarget(target)
      for (const target of added) probe.addTarget(target)
    })
    this.checkers.set(pool, { checker, stopFollowing, key: checkerKey(pool) })
    if (this.running) checker.start()
  }

  private detach (pool: Pool): void {
    const entry = this.checkers.get(pool)
    if (entry === undefined) return
    this.checkers.delete(pool)
    entry.stopFollowing()
    entry.checker.stop()
  }
}
