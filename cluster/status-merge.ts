/**
 * The cluster's `/status`: the workers' own `/status` documents merged into
 * one, in the single-process shape. Per target, counters are summed over the
 * workers (in-flight, requests, failures, sticky counters), consecutive
 * failures are the worst worker's, latency is the mean weighted by requests;
 * health is the primary's (it runs the active checks), ejection and draining
 * hold when any worker has them (passive health is per worker); the reason
 * is the most recent one. The L4 listeners (`l4`) are matched by protocol
 * and address (the workers share each listener's socket) and their counters
 * summed, per listener and per target behind it; routes (same prefix and
 * pool) likewise. The top-level config version and configured routes are
 * those of the worker that runs the newest config. Framework-free.
 */
import { cacheHitRatio, type PoolStatus, type RouteStatus, type TargetStatus } from '../plugins/admin/status.js'
import type { ConfiguredRoute } from '../config/describe.js'
import type { SharedHealthState } from '../plugins/health/shared-state.js'
import type { L4Counters, L4ListenerStatus, L4TargetStatus } from '../lib/l4-status.js'

export interface WorkerSummary {
  /** cluster's worker id. */
  id: number
  pid: number | undefined
  /** Answered the status request in time (a worker that did not is left out of the sums). */
  answered: boolean
  /** The config version it runs and when that was loaded (after a reload, each worker's own). */
  configVersion?: number
  loadedAt?: string
}

export interface ClusterStatus {
  /** The newest config version a worker runs, and when it was loaded (each worker's own is in `workers`). */
  configVersion?: number
  loadedAt?: string
  /** The routes as configured, from the worker that runs the newest config. */
  configuredRoutes?: ConfiguredRoute[]
  workers: WorkerSummary[]
  pools: PoolStatus[]
  /** Per-route counters summed over the workers. */
  routes?: RouteStatus[]
  /** The L4 listeners, summed over the workers (absent when no worker has any). */
  l4?: L4ListenerStatus[]
  cache?: { store: string }
}

/** What `mergeStatus` reads of one worker's report. */
export interface MergedReport {
  pools: PoolStatus[]
  l4?: L4ListenerStatus[] | undefined
  config?: { version: number, loadedAt: string } | undefined
  configuredRoutes?: ConfiguredRoute[] | undefined
  routes?: RouteStatus[] | undefined
  cache?: { store: string } | undefined
}

/** `health`: the primary's active-check state by pool, then target id (pools it checks only). */
export function mergeStatus (reports: MergedReport[], health: ReadonlyMap<string, ReadonlyMap<string, SharedHealthState>>, workers: WorkerSummary[]): ClusterStatus {
  const pools = new Map<string, PoolStatus>()
  const targetsByPool = new Map<string, Map<string, TargetStatus[]>>()
  for (const report of reports) {
    for (const pool of report.pools) {
      const merged = pools.get(pool.name)
      if (merged === undefined) {
        pools.set(pool.name, { ...pool, targets: [], ...(pool.sticky !== undefined ? { sticky: { ...pool.sticky } } : {}) })
        targetsByPool.set(pool.name, new Map())
      } else if (merged.sticky !== undefined && pool.sticky !== undefined) {
        merged.sticky.hits += pool.sticky.hits
        merged.sticky.pins += pool.sticky.pins
        merged.sticky.repins += pool.sticky.repins
        merged.sticky.rejected += pool.sticky.rejected
      }
      const byId = targetsByPool.get(pool.name) as Map<string, TargetStatus[]>
      for (const target of pool.targets) {
        const seen = byId.get(target.id)
        if (seen === undefined) byId.set(target.id, [target])
        else seen.push(target)
      }
    }
  }
  for (const [name, pool] of pools) {
    const byId = targetsByPool.get(name) as Map<string, TargetStatus[]>
    for (const [id, copies] of byId) pool.targets.push(mergeTarget(copies, health.get(name)?.get(id)))
  }
  const l4 = mergeL4(reports.flatMap((report) => report.l4 ?? []))
  let newest: MergedReport | undefined
  for (const report of reports) if (report.config !== undefined && (newest?.config === undefined || report.config.version > newest.config.version)) newest = report
  const routed = reports.filter((report) => report.routes !== undefined)
  const cache = reports.find((report) => report.cache !== undefined)?.cache
  return {
    ...(newest?.config !== undefined ? { configVersion: newest.config.version, loadedAt: newest.config.loadedAt } : {}),
    ...(newest?.configuredRoutes !== undefined ? { configuredRoutes: newest.configuredRoutes } : {}),
    workers,
    pools: [...pools.values()],
    ...(routed.length > 0 ? { routes: mergeRoutes(routed.flatMap((report) => report.routes ?? [])) } : {}),
    ...(l4.length > 0 ? { l4 } : {}),
    ...(cache !== undefined ? { cache } : {})
  }
}

/** The workers' copies of each route (same prefix and pool) as one, counters summed, in first-seen order. */
function mergeRoutes (copies: RouteStatus[]): RouteStatus[] {
  const byRoute = new Map<string, RouteStatus>()
  for (const copy of copies) {
    const key = `${copy.prefix} ${copy.pool}`
    const merged = byRoute.get(key)
    if (merged === undefined) {
      byRoute.set(key, { ...copy, responses: { ...copy.responses } })
      continue
    }
    merged.requests += copy.requests
    for (const [statusClass, count] of Object.entries(copy.responses)) merged.responses[statusClass] = (merged.responses[statusClass] ?? 0) + count
    merged.rateLimited += copy.rateLimited
    merged.cacheHits += copy.cacheHits
    merged.cacheLookups += copy.cacheLookups
  }
  for (const route of byRoute.values()) {
    route.cacheHitRatio = cacheHitRatio(route.cacheHits, route.cacheLookups)
  }
  return [...byRoute.values()]
}

const L4_COUNTERS: ReadonlyArray<keyof L4Counters> = ['active', 'total', 'bytesIn', 'bytesOut', 'connectFailures']

/** The workers' copies of each listener (same protocol and address) as one, in first-seen order. */
function mergeL4 (copies: L4ListenerStatus[]): L4ListenerStatus[] {
  const byAddress = new Map<string, { listener: L4ListenerStatus, targets: Map<string, L4TargetStatus> }>()
  for (const copy of copies) {
    const key = `${copy.protocol} ${copy.address}`
    let merged = byAddress.get(key)
    if (merged === undefined) {
      const listener: L4ListenerStatus = { ...copy, targets: [] }
      byAddress.set(key, merged = { listener, targets: new Map() })
    } else {
      const { listener } = merged
      for (const name of L4_COUNTERS) listener[name] += copy[name]
      listener.refused += copy.refused
      listener.dropped += copy.dropped
      if (copy.evicted !== undefined) listener.evicted = (listener.evicted ?? 0) + copy.evicted
    }
    for (const target of copy.targets) {
      const key = `${target.pool} ${target.id}`
      const seen = merged.targets.get(key)
      if (seen === undefined) merged.targets.set(key, { ...target })
      else for (const name of L4_COUNTERS) seen[name] += target[name]
    }
  }
  return [...byAddress.values()].map(({ listener, targets }) => ({ ...listener, targets: [...targets.values()] }))
}

function mergeTarget (copies: TargetStatus[], health: SharedHealthState | undefined): TargetStatus {
  const first = copies[0] as TargetStatus
  let inFlight = 0
  let requests = 0
  let failures = 0
  let consecutiveFailures = 0
  let weightedLatency = 0
  let latencySum = 0
  let draining = false
  let ejectedUntil: string | null = null
  let healthy = true
  let latest = first
  const responses = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }
  let ejections = 0
  for (const copy of copies) {
    for (const key of Object.keys(responses) as Array<keyof typeof responses>) responses[key] += copy.responses?.[key] ?? 0
    ejections += copy.ejections ?? 0
    inFlight += copy.inFlight
    requests += copy.requests
    failures += copy.failures
    consecutiveFailures = Math.max(consecutiveFailures, copy.consecutiveFailures)
    weightedLatency += copy.latencyEwmaMs * copy.requests
    latencySum += copy.latencyEwmaMs
    draining ||= copy.draining
    healthy &&= copy.healthy
    if (copy.ejectedUntil !== null && (ejectedUntil === null || copy.ejectedUntil > ejectedUntil)) ejectedUntil = copy.ejectedUntil
    if (copy.since > latest.since) latest = copy
  }
  if (health !== undefined) healthy = health.healthy
  const condition = draining ? 'draining' : ejectedUntil !== null ? 'ejected' : healthy ? 'healthy' : 'unhealthy'
  const latencyEwmaMs = requests > 0 ? weightedLatency / requests : latencySum / copies.length
  return {
    ...first,
    condition,
    reason: latest.reason,
    since: latest.since,
    healthy,
    ejectedUntil,
    draining,
    consecutiveFailures,
    inFlight,
    requests,
    failures,
    responses,
    ejections,
    latencyEwmaMs: Math.round(latencyEwmaMs * 10) / 10
  }
}
