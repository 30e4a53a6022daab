/**
 * The registry of named pools that routes forward to.
 */
import { Pool, type PoolOptions } from './pool.js'
import type { BalancerName } from './balancers/index.js'
import type { PoolConfig } from './options.js'

export class PoolRegistry {
  private readonly pools = new Map<string, Pool>()
  private readonly poolOptions: PoolOptions

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

  async close (): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()))
  }
}
