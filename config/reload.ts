/**
 * Reloading the config file on SIGHUP: what a running gateway can take over
 * without a restart (each pool's targets) and what it can't (pools added or
 * removed, routes, other pool options), which is reported instead.
 */
import type { PoolRegistry } from '../plugins/pools/index.js'
import type { GatewayConfig } from './index.js'

export interface ReloadSummary {
  /** Per pool whose targets changed: the ids added and removed. */
  changed: Array<{ pool: string, added: string[], removed: string[] }>
  /** Differences that need a restart to take effect, in words. */
  needsRestart: string[]
}

/** Apply `next`'s target lists to the running pools; report what else differs from `current`. */
export function reloadTargets (pools: PoolRegistry, current: GatewayConfig, next: GatewayConfig): ReloadSummary {
  const summary: ReloadSummary = { changed: [], needsRestart: [] }
  for (const name of Object.keys(next.pools)) {
    if (!pools.has(name)) summary.needsRestart.push(`pool "${name}" added`)
  }
  for (const pool of pools) {
    const wanted = next.pools[pool.name]
    if (wanted === undefined) {
      summary.needsRestart.push(`pool "${pool.name}" removed`)
      continue
    }
    if (!sameExceptTargets(current.pools[pool.name], wanted)) summary.needsRestart.push(`options of pool "${pool.name}" changed (only targets reload)`)
    const { added, removed } = pool.updateTargets(wanted.targets)
    if (added.length > 0 || removed.length > 0) {
      summary.changed.push({ pool: pool.name, added: added.map((t) => t.id), removed: removed.map((t) => t.id) })
    }
  }
  if (JSON.stringify(current.routes) !== JSON.stringify(next.routes)) summary.needsRestart.push('routes changed')
  if (JSON.stringify([current.tcp, current.udp]) !== JSON.stringify([next.tcp, next.udp])) summary.needsRestart.push('tcp/udp listeners changed')
  return summary
}

function sameExceptTargets (a: object | undefined, b: object): boolean {
  return JSON.stringify({ ...a, targets: undefined }) === JSON.stringify({ ...b, targets: undefined })
}
