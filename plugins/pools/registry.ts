/**
 * The registry of named pools that routes forward to.
 */
import { Pool } from './pool.js'
import type { BalancerName } from './balancers/index.js'
import type { PoolConfig } from './options.js'

export class PoolRegistry {
  private readonly pools = new Map<string, Pool>()

  constructor (configs: Record<string, PoolConfig>, defaultBalancer?: BalancerName) {
    for (const [name, config] of Object.entries(configs)) {
      this.pools.set(name, new Pool(name, config, defaultBalancer))
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

  async close (): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()))
  }
}
