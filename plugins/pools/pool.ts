/**
 * A named pool of targets: its config, its balancer and its connections.
 *
 * `pickTarget` is the one place a target is chosen for a request; it combines
 * the balancer (selection) with the targets' live state (which may be picked).
 *
 * Targets come from the config's entries: an address literal is one target;
 * a host name stands for one target per address it resolves to
 * (`refreshHosts`, at start and every `dnsRefreshMs`). Every change of the
 * list goes through `applyTargets`, which tells the listeners (health
 * checkers) what was added and removed.
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../../lib/validate.js'
import { createRequire } from 'node:module'
import type { Agent as UndiciAgent, Dispatcher as UndiciDispatcher } from 'undici'
import { Target, DEFAULT_TARGET_WEIGHT, targetFamily, type TargetFamily, type TargetOptions } from './target.js'
import { createBalancer, type Balancer, type BalancerName, type PickContext } from './balancers/index.js'
import { createHashKeyReader, type HashKeyInput, type HashKeyReader, type HashKeySource } from './hash-key.js'
import { DEFAULT_BALANCER, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, type PoolConfig } from './options.js'
import {
  HostResolver, addressOrigin, createAddressLookup, deriveHostTargetId, isIpLiteral,
  type AddressLookup, type HostResolution, type ResolverLogger
} from './host-resolver.js'
import { RetryBudget } from './retry-budget.js'
import { SwappableDispatcher } from './dispatcher.js'
import { Http1Agent, http1TransportAvailable } from './http1/agent.js'

/**
 * undici's Agent alone (the package entry loads all of undici: fetch,
 * WebSocket, cache, …: ~110 modules, +9 MB of RSS measured), and only when a
 * pool first needs it (https targets; `http:` ones go through `http1/`).
 */
const requireFromHere = createRequire(import.meta.url)
let undiciAgentClass: typeof UndiciAgent | undefined
function loadUndiciAgent (): typeof UndiciAgent {
  undiciAgentClass ??= requireFromHere('undici/lib/dispatcher/agent.js') as typeof UndiciAgent
  return undiciAgentClass
}

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

/** How long a target whose connect failed stays out when the pool configures no `outlier` (nginx: `fail_timeout=10s`). */
export const DEFAULT_CONNECT_FAILURE_EJECTION_MS = 10_000

export interface PoolOptions {
  /** Algorithm when the config names none. Default `round-robin`. */
  defaultBalancer?: BalancerName
  /** How host-name targets are resolved. Default: the system resolver (`dns.lookup`). */
  lookup?: AddressLookup
  /** Where DNS changes and failures are logged. Default: nowhere. */
  log?: ResolverLogger
}

/** One configured target entry that is a host name, and the targets its addresses became. */
interface HostEntry {
  /** The URL as configured (`http://api.internal:8080`). */
  readonly configured: URL
  readonly explicitId: string | undefined
  weight: number
  readonly resolver: HostResolver
  /** address → target, in the order the addresses were resolved. */
  targets: Map<string, Target>
}

/** A configured target entry: a fixed target, or a host name. */
type TargetEntry = { kind: 'address', target: Target } | { kind: 'host', host: HostEntry }

/** What `Pool.reconfigure` changed. */
export interface PoolReconfiguration extends TargetChanges {
  /** A new balancer was made (algorithm or hash key changed); otherwise the old one was kept with its state. */
  balancerReplaced: boolean
  /** A new Agent took over (connection options changed); otherwise open connections were kept. */
  connectionsReplaced: boolean
}

export class Pool {
  readonly name: string
  /** The pool's options; a config reload replaces them (`reconfigure`). */
  config: PoolConfig
  balancer: Balancer
  /**
   * Keep-alive connections per target origin, capped per target (`http1/agent.ts`,
   * undici for https targets); a stable object whose Agent a reload may swap (see `SwappableDispatcher`).
   */
  readonly dispatcher: SwappableDispatcher
  /** What the targets speak: `http` (routes), `tcp` or `udp` (L4 listeners). One per pool. */
  readonly family: TargetFamily
  /** Sticky-session counters, written by the sticky link (shown in `/status`). */
  readonly stickyCounters: StickyCounters = { hits: 0, pins: 0, repins: 0, rejected: 0 }
  /** Limits retries to a share of recent requests (see `RetryBudget`). */
  readonly retryBudget = new RetryBudget()
  /** Passive health of this pool's targets, when enabled. */
  outlier: OutcomeObserver | undefined = undefined
  private readHashKey: HashKeyReader | undefined
  private readonly defaultBalancer: BalancerName
  private targetList: Target[] = []
  private entries: TargetEntry[] = []
  private readonly targetListeners: Array<(changes: TargetChanges) => void> = []
  private readonly lookup: AddressLookup
  private readonly log: ResolverLogger | undefined
  /** Set by `start`: targets added from then on wait for their first health check (pools with `health`). */
  private live = false
  private refreshTimer: NodeJS.Timeout | undefined = undefined
  private closed = false

  constructor (name: string, config: PoolConfig, options: PoolOptions | BalancerName = {}) {
    const opts: PoolOptions = typeof options === 'string' ? { defaultBalancer: options } : options
    this.name = name
    this.config = config
    this.lookup = opts.lookup ?? createAddressLookup()
    this.log = opts.log
    this.defaultBalancer = opts.defaultBalancer ?? DEFAULT_BALANCER
    this.family = poolFamily(config.targets, `pools.${name}`)
    this.entries = this.buildEntries(config.targets)
    this.targetList = this.listOf(this.entries)
    const balancerName = config.balancer ?? this.defaultBalancer
    this.balancer = createBalancer(balancerName, this.targetList)
    this.readHashKey = balancerName === 'consistent-hash'
      ? createHashKeyReader(config.hashKey as HashKeySource)
      : undefined
    this.dispatcher = new SwappableDispatcher(createAgent(config, name))
  }

  /**
   * Take a new config (whole-config reload), in place, so that everything
   * holding this pool keeps working: targets that stay keep their objects
   * and live state (`updateTargets`); the balancer is kept (with its
   * rotation/ring state) unless the algorithm or hash key changed; the Agent
   * is kept (open keep-alive connections survive) unless connection options
   * changed, in which case the old one finishes its requests and closes.
   * Sticky counters and the retry budget are kept. `config` must be valid.
   */
  reconfigure (config: PoolConfig): PoolReconfiguration {
    const previous = this.config
    const name = config.balancer ?? this.defaultBalancer
    const balancerReplaced = name !== (previous.balancer ?? this.defaultBalancer) || (name === 'consistent-hash' && config.hashKey !== previous.hashKey)
    const connectionsReplaced = connectionKey(config) !== connectionKey(previous)
    // Built first: a CA file that cannot be read throws before anything changed.
    const agent = connectionsReplaced ? createAgent(config, this.name) : undefined
    this.config = config
    if (balancerReplaced) {
      this.balancer = createBalancer(name, this.targetList)
      this.readHashKey = name === 'consistent-hash' ? createHashKeyReader(config.hashKey as HashKeySource) : undefined
    }
    if (agent !== undefined) {
      this.dispatcher.swap(agent).catch(() => {})
    }
    const changes = this.updateTargets(config.targets)
    if (this.refreshTimer !== undefined && config.dnsRefreshMs !== previous.dnsRefreshMs) {
      clearTimeout(this.refreshTimer)
      this.refreshTimer = undefined
      this.scheduleRefresh()
    }
    return { ...changes, balancerReplaced, connectionsReplaced }
  }

  get targets (): readonly Target[] {
    return this.targetList
  }

  /** The host names among the configured targets, with their last good addresses. */
  get hosts (): readonly HostResolution[] {
    const hosts: HostResolution[] = []
    for (const entry of this.entries) if (entry.kind === 'host') hosts.push(entry.host.resolver)
    return hosts
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

  /** `true` when some target is healthy, not ejected, not draining. */
  anyAvailable (now: number): boolean {
    for (const target of this.targetList) if (target.isAvailable(now)) return true
    return false
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

  /**
   * Apply a new target list (config reload). A target that stays (same id
   * and URL; an id derived from the URL is the same for the same URL) keeps
   * its object and so all its live state; a changed weight is applied in
   * place. A host name that stays keeps its resolved targets. New entries are
   * added (new host names are resolved in the background: await
   * `refreshHosts` to have them); removed targets leave the list at once — no
   * new requests — and are marked draining while their in-flight requests
   * finish on the objects those requests hold.
   */
  updateTargets (configs: ReadonlyArray<TargetOptions | string>): TargetChanges {
    if (poolFamily(configs, `pools.${this.name}`) !== this.family) throw new ConfigError(`pools.${this.name}.targets`, `must stay ${this.family} targets`)
    this.entries = this.buildEntries(configs, this.entries)
    const changes = this.applyTargets(this.listOf(this.entries))
    if (this.entries.some((e) => e.kind === 'host' && e.host.resolver.resolvedAt === 0)) this.refreshHosts().catch(() => {})
    return changes
  }

  /**
   * Look every host name up again and apply the addresses: new ones become
   * targets (after a first passing health check, when the pool has active
   * checks and is started), vanished ones drain, a failed lookup keeps the
   * last good set. Never rejects.
   */
  async refreshHosts (): Promise<TargetChanges> {
    const hosts = this.entries.flatMap((e) => e.kind === 'host' ? [e.host] : [])
    if (hosts.length === 0) return { added: [], removed: [] }
    await Promise.all(hosts.map(async (host) => {
      const addresses = await host.resolver.refresh()
      const next = new Map<string, Target>()
      for (const address of addresses) {
        next.set(address, host.targets.get(address) ?? new Target({
          url: addressOrigin(host.configured, address),
          weight: host.weight,
          id: deriveHostTargetId(host.configured, address, host.explicitId),
          hostHeader: host.configured.host,
          hostName: host.configured.hostname
        }))
      }
      host.targets = next
    }))
    if (this.closed) return { added: [], removed: [] }
    return this.applyTargets(this.listOf(this.entries))
  }

  /** The pool takes traffic: look host names up every `dnsRefreshMs` from now on. */
  start (): void {
    this.live = true
    this.scheduleRefresh()
  }

  private scheduleRefresh (): void {
    if (this.closed || this.refreshTimer !== undefined || !this.entries.some((e) => e.kind === 'host')) return
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined
      this.refreshHosts().finally(() => { this.scheduleRefresh() }).catch(() => {})
    }, this.config.dnsRefreshMs)
    this.refreshTimer.unref()
  }

  /** Be told when the target list changes (health checkers follow it). Returns the function that stops telling. */
  onTargetsChanged (listener: (changes: TargetChanges) => void): () => void {
    this.targetListeners.push(listener)
    return () => {
      const index = this.targetListeners.indexOf(listener)
      if (index !== -1) this.targetListeners.splice(index, 1)
    }
  }

  /** `true` once `close` or `retire` was called. */
  get isClosed (): boolean {
    return this.closed
  }

  /** Stop at once (app shutdown): timers, then every connection. */
  async close (): Promise<void> {
    this.stopTimers()
    await this.dispatcher.destroy()
  }

  /**
   * The pool left the config: no new work (every target draining, no more
   * DNS lookups); requests in flight finish, then the connections close.
   */
  async retire (): Promise<void> {
    this.stopTimers()
    for (const target of this.targetList) {
      target.draining = true
      target.setReason('pool removed from config')
    }
    await this.dispatcher.close()
  }

  private stopTimers (): void {
    this.closed = true
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer)
    this.refreshTimer = undefined
  }

  /** Entries for `configs`, reusing the targets and host names of `previous` that stay. */
  private buildEntries (configs: ReadonlyArray<TargetOptions | string>, previous: TargetEntry[] = []): TargetEntry[] {
    const entries: TargetEntry[] = []
    const reused = new Set<TargetEntry>()
    for (const config of configs) {
      const options: TargetOptions = typeof config === 'string' ? { url: config } : config
      const url = new URL(options.url)
      const weight = options.weight ?? DEFAULT_TARGET_WEIGHT
      if (isIpLiteral(url.hostname)) {
        const fresh = new Target(options)
        const same = previous.find((e) => !reused.has(e) && e.kind === 'address' && e.target.id === fresh.id && e.target.origin === fresh.origin)
        if (same !== undefined) {
          reused.add(same)
          if (same.kind === 'address') same.target.weight = weight
          entries.push(same)
        } else {
          entries.push({ kind: 'address', target: fresh })
        }
        continue
      }
      const same = previous.find((e) => !reused.has(e) && e.kind === 'host' && e.host.configured.href === url.href && e.host.explicitId === options.id)
      if (same !== undefined && same.kind === 'host') {
        reused.add(same)
        same.host.weight = weight
        for (const target of same.host.targets.values()) target.weight = weight
        entries.push(same)
        continue
      }
      entries.push({
        kind: 'host',
        host: {
          configured: url,
          explicitId: options.id,
          weight,
          resolver: new HostResolver({ hostname: url.hostname, lookup: this.lookup, poolName: this.name, ...(this.log !== undefined ? { log: this.log } : {}) }),
          targets: new Map()
        }
      })
    }
    return entries
  }

  private listOf (entries: TargetEntry[]): Target[] {
    const list: Target[] = []
    for (const entry of entries) {
      if (entry.kind === 'address') list.push(entry.target)
      else for (const target of entry.host.targets.values()) list.push(target)
    }
    return list
  }

  /** Make `next` the target list: the one place it changes; tells the listeners. */
  private applyTargets (next: Target[]): TargetChanges {
    const current = new Set(this.targetList)
    const kept = new Set(next)
    const added = next.filter((t) => !current.has(t))
    const removed = this.targetList.filter((t) => !kept.has(t))
    for (const target of removed) {
      target.draining = true
      const vanished = target.hostName !== undefined && this.hasHostEntry(target.hostName)
      target.setReason(vanished ? `address no longer in DNS for ${String(target.hostName)}` : 'removed from config')
    }
    if (this.live && this.config.health !== undefined) {
      for (const target of added) {
        target.healthy = false
        target.setReason('new: waiting for its first health check')
      }
    }
    this.targetList = next
    this.balancer.rebuild?.(next)
    this.scheduleRefresh()
    const changes = { added, removed }
    if (added.length > 0 || removed.length > 0) for (const listener of this.targetListeners) listener(changes)
    return changes
  }

  private hasHostEntry (hostname: string): boolean {
    return this.entries.some((e) => e.kind === 'host' && e.host.configured.hostname === hostname)
  }
}

/** The undici Agent of a pool's connection options. */
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
function createAgent (config: PoolConfig, name: string): UndiciDispatcher {
  // Read now: a CA file that cannot be read is a config error at load, not at the first https request.
  const ca = config.tls?.ca !== undefined ? readCa(config.tls.ca, name) : undefined
  const undiciAgent = (): UndiciAgent => new (loadUndiciAgent())({
    connections: config.maxConnectionsPerTarget,
    pipelining: 1,
    keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: config.responseTimeoutMs,
    bodyTimeout: config.idleTimeoutMs,
    connect: {
      timeout: config.connectTimeoutMs,
      rejectUnauthorized: config.tls?.rejectUnauthorized ?? true,
      ...(ca !== undefined ? { ca } : {})
    }
  })
  if (!http1TransportAvailable) return undiciAgent()
  return new Http1Agent({
    connections: config.maxConnectionsPerTarget,
    keepAliveTimeoutMs: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    connectTimeoutMs: config.connectTimeoutMs
  }, undiciAgent)
}

/** The options that shape a pool's Agent: when they are equal, its connections can be kept. */
function connectionKey (config: PoolConfig): string {
  return JSON.stringify([config.maxConnectionsPerTarget, config.responseTimeoutMs, config.idleTimeoutMs, config.connectTimeoutMs, config.tls ?? null])
}

/** The PEM CA file of a pool's `tls.ca`, or a ConfigError naming the field. */
function readCa (path: string, pool: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new ConfigError(`pools.${pool}.tls.ca`, `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}
