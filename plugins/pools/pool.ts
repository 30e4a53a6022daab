/**
 * A named pool of targets: its config, its balancer and its connections.
 *
 * `pickTarget` is the one place a target is chosen for a request; it combines
 * the balancer (selection) with the targets' live state (which may be picked).
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../../lib/validate.js'
import { createRequire } from 'node:module'
import type { Agent as UndiciAgent } from 'undici'
import { Target, targetFamily, type TargetFamily, type TargetOptions } from './target.js'
import { createBalancer, type Balancer, type BalancerName, type PickContext } from './balancers/index.js'
import { createHashKeyReader, type HashKeyInput, type HashKeyReader, type HashKeySource } from './hash-key.js'
import { DEFAULT_BALANCER, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, type PoolConfig } from './options.js'
import { RetryBudget } from './retry-budget.js'

/**
 * Passive health: told the outcome of every upstream attempt. Set on a pool
 * by `switchyard-health` when the pool has `outlier` config.
 */
export interface OutcomeObserver {
  /** `target` answered with `statusCode` (response headers arrived). */
  onResponse (target: Target, statusCode: number, now: number): void
  /** `target` failed at the transport level (refused, reset, timed out); `code` says how. */
  onFailure (target: Target, code: string, now: number): void
}

/** Sticky-session counters of a pool. */
export interface StickyCounters {
  /** Requests served by the target their valid cookie named. */
  hits: number
  /** Cookies issued to requests that had none. */
  pins: number
  /** Cookies re-issued because the pinned target could not serve (down, ejected, removed) or a retry moved the request. */
  repins: number
  /** Cookies ignored as malformed, forged, expired, or signed under another secret or pool. */
  rejected: number
}

/** What `Pool.updateTargets` changed. */
export interface TargetChanges {
  added: Target[]
  removed: Target[]
}

/**
 * undici's Agent alone: the package entry loads all of undici (fetch,
 * WebSocket, cache, …: ~110 modules, +9 MB of RSS measured) for the one class
 * the gateway uses.
 */
const Agent = createRequire(import.meta.url)('undici/lib/dispatcher/agent.js') as typeof UndiciAgent

/** How long a target whose connect failed stays out when the pool configures no `outlier` (nginx: `fail_timeout=10s`). */
export const DEFAULT_CONNECT_FAILURE_EJECTION_MS = 10_000

export class Pool {
  readonly name: string
  readonly config: PoolConfig
  readonly balancer: Balancer
  /** What the targets speak: `http` (routes), `tcp` or `udp` (L4 listeners). One per pool. */
  readonly family: TargetFamily
  /** HTTP pools only: keep-alive connections (see `dispatcher`). */
  private readonly agent: UndiciAgent | undefined
  /** Sticky-session counters, written by the sticky link (shown in `/status`). */
  readonly stickyCounters: StickyCounters = { hits: 0, pins: 0, repins: 0, rejected: 0 }
  /** Limits retries to a share of recent requests (see `RetryBudget`). */
  readonly retryBudget = new RetryBudget()
  /** Passive health of this pool's targets, when enabled. */
  outlier: OutcomeObserver | undefined = undefined
  private readonly readHashKey: HashKeyReader | undefined
  private targetList: Target[]
  private readonly targetListeners: Array<(changes: TargetChanges) => void> = []

  constructor (name: string, config: PoolConfig, defaultBalancer: BalancerName = DEFAULT_BALANCER) {
    this.name = name
    this.config = config
    this.family = poolFamily(config.targets, `pools.${name}`)
    this.targetList = config.targets.map((t) => new Target(typeof t === 'string' ? { url: t } : t))
    const balancerName = config.balancer ?? defaultBalancer
    this.balancer = createBalancer(balancerName, this.targetList)
    this.readHashKey = balancerName === 'consistent-hash'
      ? createHashKeyReader(config.hashKey as HashKeySource)
      : undefined
    // L4 pools (tcp/udp) open their own sockets: no HTTP connection pool.
    this.agent = this.family === 'http' ? createAgent(config, name) : undefined
  }

  /** Keep-alive connections, one undici pool per target origin, capped per target (HTTP pools only). */
  get dispatcher (): UndiciAgent {
    if (this.agent === undefined) throw new Error(`pool "${this.name}" is a ${this.family} pool: it has no HTTP dispatcher`)
    return this.agent
  }

  get targets (): readonly Target[] {
    return this.targetList
  }

  /** Find a target by its stable id. */
  findTarget (id: string): Target | undefined {
    for (const target of this.targetList) if (target.id === id) return target
    return undefined
  }

  /** Find the target serving an origin (`http://host:port`). */
  findTargetByOrigin (origin: string): Target | undefined {
    for (const target of this.targetList) if (target.origin === origin) return target
    return undefined
  }

  /**
   * Choose a target for `request`, skipping the ones in `tried`.
   * Returns `undefined` when no target may take it (the caller answers 503).
   */
  pickTarget (request: HashKeyInput, tried?: ReadonlySet<Target>): Target | undefined {
    const readHashKey = this.readHashKey
    return this.pickWith(readHashKey === undefined ? undefined : () => readHashKey(request), tried)
  }

  /**
   * Choose a target without an HTTP request (L4 connections, datagrams):
   * `hashKey` is the key `consistent-hash` uses (the client's IP for L4),
   * ignored by the other algorithms. Skips the targets in `tried`.
   */
  pickTargetByKey (hashKey: string | undefined, tried?: ReadonlySet<Target>): Target | undefined {
    return this.pickWith(this.readHashKey === undefined || hashKey === undefined ? undefined : () => hashKey, tried)
  }

  private pickWith (hashKey: (() => string | undefined) | undefined, tried: ReadonlySet<Target> | undefined): Target | undefined {
    const ctx: PickContext = {
      now: Date.now(),
      tried,
      hashKey,
      maxInFlight: this.config.maxConnectionsPerTarget,
      roll: this.config.slowStartMs > 0 ? Math.random() : undefined
    }
    const target = this.balancer.pick(this.targetList, ctx)
    return target ?? this.pickFallback(ctx)
  }

  /**
   * Second chances, only when the first pick found nothing: ignore slow
   * start (a ramping target beats none), then, in `panic` mode and when no
   * target is available at all, pick among every target that is not draining.
   */
  private pickFallback (ctx: PickContext): Target | undefined {
    let target: Target | undefined
    if (ctx.roll !== undefined) {
      ctx.roll = undefined
      target = this.balancer.pick(this.targetList, ctx)
    }
    if (target === undefined && this.config.panic && !this.anyAvailable(ctx.now)) {
      ctx.panic = true
      target = this.balancer.pick(this.targetList, ctx)
    }
    return target
  }

  /**
   * Passive health, the one place it is written: `target` answered with
   * `statusCode` after `latencyMs`. Resets the failure streak (or, with
   * `outlier.on5xx`, a 5xx extends it).
   */
  reportResponse (target: Target, statusCode: number, latencyMs: number, now: number): void {
    target.recordLatency(latencyMs, now)
    target.countStatus(statusCode)
    if (this.outlier !== undefined) this.outlier.onResponse(target, statusCode, now)
    else if (target.consecutiveFailures !== 0) target.consecutiveFailures = 0
  }

  /**
   * Passive health: `target` failed at the transport level; `code` says how
   * and `connectFailure` whether nothing reached it. Without an `outlier`
   * config, a failed connect takes the target out for
   * `DEFAULT_CONNECT_FAILURE_EJECTION_MS` (nginx's `max_fails=1
   * fail_timeout=10s`), unless it is the last available one.
   */
  reportFailure (target: Target, code: string, connectFailure: boolean, now: number): void {
    target.failures++
    target.consecutiveFailures++
    if (this.outlier !== undefined) {
      this.outlier.onFailure(target, code, now)
      return
    }
    if (!connectFailure || target.ejectedUntil > now) return
    for (const other of this.targetList) {
      if (other !== target && other.isAvailable(now)) {
        target.ejectedUntil = now + DEFAULT_CONNECT_FAILURE_EJECTION_MS
        target.setReason(`connect failed (${code})`)
        return
      }
    }
  }

  /** `true` when some target is healthy, not ejected, not draining. */
  anyAvailable (now: number): boolean {
    for (const target of this.targetList) if (target.isAvailable(now)) return true
    return false
  }

  /**
   * Apply a new target list (config reload). Targets that stay (same id, URL
   * and weight) keep their live state; new ones are added; removed ones leave
   * the list at once — no new requests — and are marked draining while their
   * in-flight requests finish on the objects those requests hold.
   */
  updateTargets (configs: ReadonlyArray<TargetOptions | string>): TargetChanges {
    if (poolFamily(configs, `pools.${this.name}`) !== this.family) throw new ConfigError(`pools.${this.name}.targets`, `must stay ${this.family} targets`)
    const next: Target[] = []
    const added: Target[] = []
    const kept = new Set<Target>()
    for (const config of configs) {
      const fresh = new Target(typeof config === 'string' ? { url: config } : config)
      const same = this.targetList.find((t) => t.id === fresh.id && t.origin === fresh.origin && t.weight === fresh.weight)
      if (same !== undefined && !kept.has(same)) {
        kept.add(same)
        next.push(same)
      } else {
        added.push(fresh)
        next.push(fresh)
      }
    }
    const removed = this.targetList.filter((t) => !kept.has(t))
    for (const target of removed) {
      target.draining = true
      target.setReason('removed from config')
    }
    this.targetList = next
    this.balancer.rebuild?.(next)
    const changes = { added, removed }
    for (const listener of this.targetListeners) listener(changes)
    return changes
  }

  /** Be told when `updateTargets` changes the list (health checkers follow it). */
  onTargetsChanged (listener: (changes: TargetChanges) => void): void {
    this.targetListeners.push(listener)
  }

  async close (): Promise<void> {
    await this.agent?.destroy()
  }
}

/**
 * The one scheme family of a pool's targets; a ConfigError naming
 * `${field}.targets.N` when a target mixes families, has another scheme,
 * or (tcp/udp) lacks a port.
 */
export function poolFamily (targets: ReadonlyArray<TargetOptions | string>, field: string): TargetFamily {
  let family: TargetFamily | undefined
  targets.forEach((t, i) => {
    const url = typeof t === 'string' ? t : t.url
    const own = targetFamily(url)
    if (own === undefined) throw new ConfigError(`${field}.targets.${i}`, `must be an http(s)://, tcp:// or udp:// URL, got "${url}"`)
    if (own !== 'http' && !/:\d+\/?$/.test(url)) throw new ConfigError(`${field}.targets.${i}`, `a ${own}:// target needs a port, got "${url}"`)
    if (family !== undefined && own !== family) throw new ConfigError(`${field}.targets.${i}`, `a pool holds one kind of target; this ${own} target follows ${family} ones`)
    family = own
  })
  return family ?? 'http'
}

/** The undici Agent of an HTTP pool: keep-alive connections capped per target. */
function createAgent (config: PoolConfig, name: string): UndiciAgent {
  return new Agent({
    connections: config.maxConnectionsPerTarget,
    pipelining: 1,
    keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: config.responseTimeoutMs,
    bodyTimeout: config.idleTimeoutMs,
    connect: {
      timeout: config.connectTimeoutMs,
      rejectUnauthorized: config.tls?.rejectUnauthorized ?? true,
      ...(config.tls?.ca !== undefined ? { ca: readCa(config.tls.ca, name) } : {})
    }
  })
}

/** The PEM CA file of a pool's `tls.ca`, or a ConfigError naming the field. */
function readCa (path: string, pool: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new ConfigError(`pools.${pool}.tls.ca`, `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}
