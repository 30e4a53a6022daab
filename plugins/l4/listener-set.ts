/**
 * The L4 listeners of one gateway as a set that a whole-config reload
 * reconciles (SPEC.md "Reloading the configuration"), like nginx's `stream`
 * reload but without a new process. Framework-free: `switchyard-l4`
 * (index.ts) makes the set at start; the config reloader (config/reload.ts)
 * drives it in three steps, each undoable until the last:
 *
 * 1. `prepareListeners` validates the new `tcp`/`udp` arrays against the
 *    pools as the new config will have them (no side effect);
 * 2. `stage` matches them with the running listeners by protocol, address
 *    and port (a port-0 listener by its rank among the port-0 ones): kept,
 *    added, removed; `bind` binds the added ones, holding their connections
 *    (a bind that fails closes what it bound and throws a ConfigError naming
 *    `….port`); `discard` undoes a bound plan;
 * 3. `commit` gives each kept listener its new settings (for new connections;
 *    open ones are not cut, its counters stay), lets the added ones serve and
 *    retires the removed ones: they stop accepting, and their open
 *    connections (sessions) finish up to `drainTimeoutMs`, then they close.
 *
 * `udpReading: false` (a cluster worker that is not the one reading the
 * shared UDP sockets, cluster/worker.ts) binds the UDP listeners without
 * reading them, now and at every reload, until `setUdpReading(true)`.
 */
import { ConfigError, validateWithSchema } from '../../lib/validate.js'
import { compileAccessRules } from '../access-control/ip-list.js'
import type { Pool } from '../pools/pool.js'
import type { Target } from '../pools/target.js'
import type { L4ListenerStatus } from '../../lib/l4-status.js'
import {
  DEFAULT_DRAIN_TIMEOUT_MS, TcpListenersSchema, UdpListenersSchema, listenerPools,
  type TcpListenerConfig, type TcpListenerInput, type UdpListenerConfig, type UdpListenerInput
} from './options.js'
import { TcpListener, type TcpListenerOptions } from './tcp-listener.js'
import { UdpListener } from './udp-listener.js'
import { compileSniRoutes } from './sni.js'
import { silentL4Logger, type L4Logger } from './logger.js'

/** A pool by name, as the config being checked has it. */
export type PoolLookup = (name: string) => Pool | undefined

interface SpecBase {
  /** Which running listener this one is: `tcp|127.0.0.1|15432` (`…|0#N` for the N-th port-0 one). */
  key: string
  /** Field of the listener in errors (`GATEWAY_CONFIG.tcp.1`). */
  field: string
  pool: Pool
  admits: ((address: string) => boolean) | undefined
}

/** One validated listener of a config, with the pools it uses. */
export type ListenerSpec =
  | SpecBase & { protocol: 'tcp', config: TcpListenerConfig, sni: TcpListenerOptions['sni'] }
  | SpecBase & { protocol: 'udp', config: UdpListenerConfig }

/**
 * Validate `tcp` and `udp` (schema, defaults filled into copies; pools named,
 * of the right family; allow/deny lists; one listener per address). Throws a
 * ConfigError naming `${root}tcp.N.field`; `root` is '' or ends with a dot.
 */
export function prepareListeners (tcpInput: readonly TcpListenerInput[], udpInput: readonly UdpListenerInput[], root: string, pools: PoolLookup, defaultHost: string): ListenerSpec[] {
  const tcp = validateWithSchema(TcpListenersSchema, structuredClone(tcpInput), `${root}tcp`)
  const udp = validateWithSchema(UdpListenersSchema, structuredClone(udpInput), `${root}udp`)
  const poolOf = (name: string, field: string, family: 'tcp' | 'udp'): Pool => {
    const pool = pools(name)
    if (pool === undefined) throw new ConfigError(field, `"${name}" is not a declared pool`)
    if (pool.family !== family) throw new ConfigError(field, `"${name}" is a ${pool.family} pool: a ${family} listener needs ${family}:// targets`)
    return pool
  }
  for (const { field, pool, family } of listenerPools(tcp, udp, root)) poolOf(pool, field, family)
  const specs: ListenerSpec[] = []
  const keys = new Map<string, string>()
  const keyOf = (protocol: 'tcp' | 'udp', host: string | undefined, port: number, field: string): string => {
    const address = `${protocol}|${host ?? defaultHost}|${port}`
    const key = port === 0 ? `${address}#${[...keys.keys()].filter((k) => k.startsWith(`${address}#`)).length}` : address
    const other = keys.get(key)
    if (other !== undefined) throw new ConfigError(`${field}.port`, `${port} on ${host ?? defaultHost} is also the address of ${other}`)
    keys.set(key, field)
    return key
  }
  tcp.forEach((config, i) => {
    const field = `${root}tcp.${i}`
    const sni = config.sni === undefined
      ? undefined
      : { route: compileSniRoutes(config.sni), pools: new Map(Object.entries(config.sni).map(([name, pool]) => [pool, poolOf(pool, `${field}.sni.${name}`, 'tcp')])) }
    specs.push({ protocol: 'tcp', key: keyOf('tcp', config.host, config.port, field), field, config, pool: poolOf(config.pool, `${field}.pool`, 'tcp'), sni, admits: compileAccessRules(config, field) })
  })
  udp.forEach((config, i) => {
    const field = `${root}udp.${i}`
    specs.push({ protocol: 'udp', key: keyOf('udp', config.host, config.port, field), field, config, pool: poolOf(config.pool, `${field}.pool`, 'udp'), admits: compileAccessRules(config, field) })
  })
  return specs
}

interface Entry {
  spec: ListenerSpec
  listener: TcpListener | UdpListener
  /** The key of the port-0 listener this one was made for, if it was: a port-0 spec of that rank stays matched to it. */
  zeroKey: string | undefined
}

/** What a new config does to the listeners, built by `stage`. */
export interface L4Plan {
  /** Listeners that stay (same protocol and address), with their new settings. */
  kept: Array<{ entry: Entry, spec: ListenerSpec }>
  /** New listeners, made by `stage`, bound by `bind`. */
  added: Entry[]
  removed: Entry[]
  /** Every listener of the new config, in its order. */
  order: Entry[]
}

/** What `commit` changed, by listener (`tcp 127.0.0.1:15432`). */
export interface L4Change {
  added: string[]
  changed: string[]
  removed: string[]
}

export interface L4ListenerSetOptions {
  /** Address of listeners that name no `host`. */
  defaultHost: string
  /** How long a closing or removed listener waits for its open connections (sessions). Default 10 000 ms. */
  drainTimeoutMs?: number
  /** Read the UDP listeners' sockets (default true); see `setUdpReading`. */
  udpReading?: boolean
  log?: L4Logger | undefined
}

export class L4ListenerSet {
  readonly defaultHost: string
  private readonly drainTimeoutMs: number
  private readonly log: L4Logger
  private entries: Entry[] = []
  /** Removed listeners still finishing their connections. */
  private readonly retiring = new Map<TcpListener | UdpListener, Promise<void>>()
  private closing: Promise<void> | undefined
  private udpReading: boolean

  constructor (options: L4ListenerSetOptions) {
    this.defaultHost = options.defaultHost
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS
    this.udpReading = options.udpReading ?? true
    this.log = options.log ?? silentL4Logger
  }

  /**
   * Whether this process reads its UDP listeners' sockets (they stay bound
   * either way): when several processes share them, one reads, so that each
   * client's datagrams make one session. Applies to the listeners of every
   * later reload too.
   */
  setUdpReading (reading: boolean): void {
    this.udpReading = reading
    for (const listener of [...this.entries.map((e) => e.listener), ...this.retiring.keys()]) {
      if (listener instanceof UdpListener) listener.setReading(reading)
    }
  }

  /** The listeners of the start (not bound yet: `listen`). */
  initialize (specs: readonly ListenerSpec[]): void {
    this.entries = specs.map((spec) => this.create(spec))
  }

  /** Bind every listener and serve (at start). */
  async listen (): Promise<void> {
    for (const { listener } of this.entries) await listener.listen()
  }

  get listeners (): ReadonlyArray<TcpListener | UdpListener> {
    return this.entries.map((e) => e.listener)
  }

  /**
   * Match `specs` with the running listeners: same protocol, host and port
   * (as configured, or the one a port-0 listener was given; a port-0 spec
   * matches the listener first made for a port-0 spec of its rank). No
   * socket is touched.
   */
  stage (specs: readonly ListenerSpec[]): L4Plan {
    const unmatched = new Set(this.entries)
    const find = (spec: ListenerSpec): Entry | undefined => {
      for (const entry of unmatched) if (entry.spec.key === spec.key) return entry
      for (const entry of unmatched) {
        if (entry.spec.protocol !== spec.protocol || (entry.spec.config.host ?? this.defaultHost) !== (spec.config.host ?? this.defaultHost)) continue
        if (spec.config.port === 0 ? entry.zeroKey === spec.key : (entry.zeroKey !== undefined && boundPort(entry.listener) === spec.config.port)) return entry
      }
      return undefined
    }
    const plan: L4Plan = { kept: [], added: [], removed: [], order: [] }
    for (const spec of specs) {
      const entry = find(spec)
      if (entry === undefined) {
        const added = this.create(spec)
        plan.added.push(added)
        plan.order.push(added)
      } else {
        unmatched.delete(entry)
        plan.kept.push({ entry, spec })
        plan.order.push(entry)
      }
    }
    plan.removed = [...unmatched]
    return plan
  }

  /**
   * Bind the listeners `plan` adds; their connections wait for `commit`. A
   * bind that fails closes those bound and throws a ConfigError naming the
   * listener's `port` (or `host`).
   */
  async bind (plan: L4Plan): Promise<void> {
    for (const entry of plan.added) {
      try {
        await entry.listener.listen({ hold: true })
      } catch (err) {
        await this.discard(plan)
        const code = (err as NodeJS.ErrnoException).code ?? String(err)
        const { config, field } = entry.spec
        const address = `${config.host ?? this.defaultHost}:${config.port}`
        if (code === 'EADDRINUSE') throw new ConfigError(`${field}.port`, `${config.port} is in use: cannot listen on ${address} (EADDRINUSE)`)
        if (code === 'EACCES') throw new ConfigError(`${field}.port`, `${config.port} needs privileges this process lacks: cannot listen on ${address} (EACCES)`)
        throw new ConfigError(`${field}.host`, `cannot listen on ${address} (${code})`)
      }
    }
  }

  /** Undo `stage`/`bind`: close the listeners `plan` added. */
  async discard (plan: L4Plan): Promise<void> {
    await Promise.all(plan.added.map(async ({ listener }) => {
      if (listener instanceof TcpListener) await listener.close(0)
      else await listener.close()
    }))
  }

  /** Carry out a bound `plan`. */
  commit (plan: L4Plan): L4Change {
    const change: L4Change = { added: [], changed: [], removed: [] }
    for (const { entry, spec } of plan.kept) {
      const before = entry.spec
      entry.spec = spec
      if (entry.listener instanceof TcpListener && spec.protocol === 'tcp') {
        entry.listener.update({ config: spec.config, pool: spec.pool, sni: spec.sni, admits: spec.admits })
      } else if (entry.listener instanceof UdpListener && spec.protocol === 'udp') {
        entry.listener.update({ config: spec.config, pool: spec.pool, admits: spec.admits })
      }
      const pools = new Set([spec.pool, ...(spec.protocol === 'tcp' ? spec.sni?.pools.values() ?? [] : [])])
      const targets = new Set<Target>()
      for (const pool of pools) for (const target of pool.targets) targets.add(target)
      entry.listener.stats.prune((target) => targets.has(target))
      if (JSON.stringify(before.config) !== JSON.stringify(spec.config) || before.pool !== spec.pool) change.changed.push(nameOf(entry))
    }
    for (const entry of plan.added) {
      entry.listener.serve()
      change.added.push(nameOf(entry))
    }
    for (const entry of plan.removed) {
      change.removed.push(nameOf(entry))
      this.log.info({ listener: nameOf(entry), drainTimeoutMs: this.drainTimeoutMs }, 'l4 listener removed from config: finishing its connections')
      const { listener } = entry
      const done: Promise<void> = (listener instanceof TcpListener ? listener.close(this.drainTimeoutMs) : listener.retire(this.drainTimeoutMs))
        .catch(() => {})
        .finally(() => { this.retiring.delete(listener) })
      this.retiring.set(listener, done)
    }
    this.entries = plan.order
    return change
  }

  /** The `/status` objects of the listeners in the running config. */
  describe (): L4ListenerStatus[] {
    return this.entries.map(({ listener }) => listener.describe())
  }

  /**
   * Stop accepting everywhere; wait for open TCP connections up to
   * `drainTimeoutMs` (UDP sessions end at once), also on removed listeners
   * still draining.
   */
  async close (): Promise<void> {
    this.closing ??= Promise.all([
      ...this.entries.map(async ({ listener }) => {
        if (listener instanceof TcpListener) await listener.close(this.drainTimeoutMs)
        else await listener.close()
      }),
      ...[...this.retiring].map(async ([listener, done]) => {
        if (listener instanceof UdpListener) await listener.close()
        await done
      })
    ]).then(() => {})
    await this.closing
  }

  private create (spec: ListenerSpec): Entry {
    const common = { pool: spec.pool, admits: spec.admits, defaultHost: this.defaultHost, log: this.log }
    const listener = spec.protocol === 'tcp'
      ? new TcpListener({ ...common, config: spec.config, sni: spec.sni })
      : new UdpListener({ ...common, config: spec.config, reading: this.udpReading })
    return { spec, listener, zeroKey: spec.config.port === 0 ? spec.key : undefined }
  }
}

/** The port a listener was given, or undefined before it is bound. */
function boundPort (listener: TcpListener | UdpListener): number | undefined {
  try {
    return (listener.address() as { port?: number } | null)?.port
  } catch {
    return undefined // a UDP socket not bound yet
  }
}

function nameOf ({ spec, listener }: Entry): string {
  return `${spec.protocol} ${listener.describe().address}`
}
