/**
 * The registry of named pools that routes forward to, and its reconcile on a
 * whole-config reload: `plan` builds what a new config needs without side
 * effects (new Pool objects, nothing started, nothing swapped), `apply`
 * makes it so — new pools are added and started, changed ones are
 * reconfigured in place (their Target objects that stay keep all their
 * state), removed ones take no new work and close once their requests are
 * done. Listeners (health checks) are told what changed.
 */
import { Pool, type PoolOptions } from './pool.js'
import type { BalancerName } from './balancers/index.js'
import type { PoolConfig } from './options.js'

/**
 * How long a removed pool still accepts work after `retire` is asked for: a
 * request that matched an old route just before the routes were swapped
 * still reaches its pool. Then its connections close once idle.
 */
export const RETIRE_GRACE_MS = 1_000

/** What a new config does to the pools, built by `plan` and carried out by `apply`. */
export interface PoolsPlan {
  /** New pools, built but not started. */
  added: Pool[]
  /** Pools that stay, with their new config (equal configs are left out). */
  changed: Array<{ pool: Pool, config: PoolConfig }>
  /** Pools that leave. */
  removed: Pool[]
}

/** What `apply` did, for listeners. */
export interface PoolsChange {
  added: Pool[]
  /** Each changed pool with the config it had before. */
  changed: Array<{ pool: Pool, previous: PoolConfig }>
  removed: Pool[]
}

export class PoolRegistry {
  private readonly pools = new Map<string, Pool>()
  private readonly poolOptions: PoolOptions
  private readonly listeners: Array<(change: PoolsChange) => void> = []
  /** Removed pools still finishing their requests (closed at once if the app closes). */
  private readonly retiring = new Set<Pool>()
  private readonly retireTimers = new Set<NodeJS.Timeout>()

  constructor (configs: Record<string, PoolConfig>, options: PoolOptions | BalancerName = {}) {
    this.poolOptions = typeof options === 'string' ? { defaultBalancer: options } : options
    for (const [name, config] of Object.entries(configs)) {
      this.pools.set(name, new Pool(name, config, this.poolOptions))
    }
  }

  get (name: string): Pool | undefined {
    return this.pools.get(name)
  }

  has (name: string): boolean {
    return this.pools.has(name)
  }

  names (): string[] {
    return [...this.pools.keys()]
  }

  [Symbol.iterator] (): IterableIterator<Pool> {
    return this.pools.values()
  }

  /** Resolve every pool's host-name targets once (at start). */
  async refreshHosts (): Promise<void> {
    await Promise.all([...this.pools.values()].map(async (pool) => await pool.refreshHosts()))
  }

  /** Every pool takes traffic from now on (host names are looked up again every `dnsRefreshMs`). */
  start (): void {
    for (const pool of this.pools.values()) pool.start()
  }

  /** Be told what each `apply` changed. */
  onPoolsChanged (listener: (change: PoolsChange) => void): void {
    this.listeners.push(listener)
  }

  /**
   * What `configs` (validated, defaults filled) would change. Builds the new
   * pools and nothing else: may throw (a ConfigError) and then has changed nothing.
   */
  plan (configs: Record<string, PoolConfig>): PoolsPlan {
    const plan: PoolsPlan = { added: [], changed: [], removed: [] }
    try {
      for (const [name, config] of Object.entries(configs)) {
        const pool = this.pools.get(name)
        if (pool === undefined) plan.added.push(new Pool(name, config, this.poolOptions))
        else if (JSON.stringify(pool.config) !== JSON.stringify(config)) plan.changed.push({ pool, config })
      }
    } catch (err) {
      this.discard(plan)
      throw err
    }
    for (const [name, pool] of this.pools) if (!(name in configs)) plan.removed.push(pool)
    return plan
  }

  /**
   * Run `fn` (synchronous) while the registry shows the pools as `plan`
   * would leave them — added ones present, removed ones gone — then restore
   * it: routes can be compiled against a config before it is applied.
   */
  withStaged<T> (plan: PoolsPlan, fn: () => T): T {
    const saved = new Map(this.pools)
    for (const pool of plan.removed) this.pools.delete(pool.name)
    for (const pool of plan.added) this.pools.set(pool.name, pool)
    try {
      return fn()
    } finally {
      this.pools.clear()
      for (const [name, pool] of saved) this.pools.set(name, pool)
    }
  }

  /** Drop a plan that will not be applied (its new pools hold an Agent each). */
  discard (plan: PoolsPlan): void {
    for (const pool of plan.added) pool.close().catch(() => {})
  }

  /**
   * Carry out `plan`; new host names are resolved before this resolves.
   * Removed pools leave the registry (a lookup by name no longer finds them)
   * but keep serving whoever still holds them: call `retire` once nothing
   * new can reach them (the routes are swapped).
   */
  async apply (plan: PoolsPlan): Promise<PoolsChange> {
    const change: PoolsChange = { added: plan.added, changed: [], removed: plan.removed }
    for (const pool of plan.removed) {
      this.pools.delete(pool.name)
      this.retiring.add(pool)
    }
    for (const { pool, config } of plan.changed) {
      const previous = pool.config
      pool.reconfigure(config)
      change.changed.push({ pool, previous })
    }
    for (const pool of plan.added) this.pools.set(pool.name, pool)
    for (const listener of this.listeners) listener(change)
    await Promise.all([...plan.added, ...plan.changed.map((c) => c.pool)].map(async (pool) => await pool.refreshHosts()))
    for (const pool of plan.added) pool.start()
    return change
  }

  /**
   * Retire the pools `plan` removed, `graceMs` from now: no new work, then
   * their connections close once their requests are done.
   */
  retire (plan: PoolsPlan, graceMs = RETIRE_GRACE_MS): void {
    if (plan.removed.length === 0) return
    const timer = setTimeout(() => {
      this.retireTimers.delete(timer)
      for (const pool of plan.removed) {
        pool.retire().catch(() => {}).finally(() => { this.retiring.delete(pool) })
      }
    }, graceMs)
    timer.unref()
    this.retireTimers.add(timer)
  }

  async close (): Promise<void> {
    for (const timer of this.retireTimers) clearTimeout(timer)
    this.retireTimers.clear()
    await Promise.all([...this.pools.values(), ...this.retiring].map((pool) => pool.close()))
  }
}
