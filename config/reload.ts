/**
 * Whole-config reload (SIGHUP, admin `POST /config/reload`, admin
 * `PUT /config`). Two phases, like nginx's and Caddy's:
 *
 * 1. Validate the whole new config without side effects: the schema, the
 *    cross-references and every check a start would make (`checkConfig`),
 *    then build what it needs (`PoolRegistry.plan`: new Pool objects, nothing
 *    started). Any error → nothing changed; the ConfigError names the field.
 *    The L4 listeners are validated against those pools and matched with the
 *    running ones (`L4ListenerSet.stage`), and the new ones are bound, holding
 *    their connections (`bind`): a port in use refuses the reload, naming
 *    `….tcp.N.port`, after closing what it bound.
 * 2. Apply: pools are reconciled (`PoolRegistry.apply`; health checks follow
 *    through its listener), then routes are swapped when the gateway has a
 *    swappable route table, then the L4 listeners take their new settings,
 *    the new ones serve and the removed ones drain (`L4ListenerSet.commit`).
 *
 * Reloads run one at a time, in the order asked. Each applied one bumps
 * `version` and `loadedAt`; `reloads` and `failedReloads` count for /metrics.
 * `onOutcome` listeners hear of each reload, applied or refused (a cluster
 * worker tells the primary, cluster/worker.ts).
 */
import { ConfigError, validateWithSchema } from '../lib/validate.js'
import type { PoolRegistry } from '../plugins/pools/index.js'
import type { L4Change, L4ListenerSet, L4Plan, PoolLookup } from '../plugins/l4/listener-set.js'
import type { RouteDeclarationInput } from '../routes/declarations.js'
import type { GatewayRouteSet } from '../routes/index.js'
import { checkConfig, type CheckedConfig } from './check.js'
import { ConfigFileSchema, readConfigFile, type ConfigFile } from './file.js'
import { applyEnvDefaults, type GatewayConfig } from './index.js'
import type { GatewayEnv } from './env.js'

/**
 * The core's swappable route set (`fastify.switchyard.routes`): `compile`
 * validates and builds routes against the live pools without changing
 * anything; `table.swap` puts them in at once and returns those that left.
 */
export type ReloadableRoutes = Pick<GatewayRouteSet, 'compile' | 'table'>

export interface ReloadLogger {
  info (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

/**
 * The gateway's L4 listeners: the running set, or (`create`) one made now —
 * a gateway that started without `tcp`/`udp` gets one on the first reload
 * that brings listeners (the L4 code loads then).
 */
export type ReloadableL4 = (create: boolean) => Promise<L4ListenerSet | undefined>

export interface ConfigReloaderOptions {
  pools: PoolRegistry
  env: GatewayEnv
  /** The config the gateway started with. */
  initial: Pick<GatewayConfig, 'pools' | 'routes'> & Partial<Pick<GatewayConfig, 'tcp' | 'udp'>>
  /** The route table, when the gateway has one that can be swapped. */
  routes?: () => ReloadableRoutes | undefined
  /** The L4 listeners; without it a config with `tcp`/`udp` listeners is refused. */
  l4?: ReloadableL4
  log: ReloadLogger
}

/** What an applied reload changed. */
export interface ReloadResult {
  configVersion: number
  loadedAt: string
  source: string
  pools: { added: string[], changed: string[], removed: string[] }
  /** Per pool whose target list changed: the target ids added and removed. */
  targets: Array<{ pool: string, added: string[], removed: string[] }>
  /** `replaced`, `unchanged`, or why route changes wait for a restart. */
  routes: string
  /** L4 listeners (`tcp 127.0.0.1:15432`) added, changed (new settings, same socket) and removed (draining). */
  l4: L4Change
}

/** What a reload came to, for `onOutcome` listeners. */
export interface ReloadOutcome {
  applied: boolean
  /** The config version running after it. */
  configVersion: number
}

/** What `/config` shows. */
export interface RunningConfig {
  configVersion: number
  loadedAt: string
  source: string
  config: ConfigFile
}

export class ConfigReloader {
  private readonly options: ConfigReloaderOptions
  private running: ConfigFile
  private versionNumber = 1
  private loadedAtMs = Date.now()
  private sourceName: string
  private queue: Promise<unknown> = Promise.resolve()
  private readonly outcomeListeners: Array<(outcome: ReloadOutcome) => void> = []
  /** Reloads applied / refused since start. */
  reloads = 0
  failedReloads = 0

  constructor (options: ConfigReloaderOptions) {
    this.options = options
    const { pools, routes, tcp = [], udp = [] } = options.initial
    this.running = structuredClone({ pools, routes, tcp, udp }) as ConfigFile
    this.sourceName = options.env.configPath ?? (options.env.upstreams !== undefined ? 'GATEWAY_UPSTREAMS' : 'built-in')
  }

  /** Be told of each reload's outcome, applied or refused. */
  onOutcome (listener: (outcome: ReloadOutcome) => void): void {
    this.outcomeListeners.push(listener)
  }

  private tell (applied: boolean): void {
    for (const listener of this.outcomeListeners) listener({ applied, configVersion: this.versionNumber })
  }

  get version (): number {
    return this.versionNumber
  }

  get loadedAt (): string {
    return new Date(this.loadedAtMs).toISOString()
  }

  /** The running config (pools and routes as given, environment defaults applied). */
  get current (): RunningConfig {
    return { configVersion: this.versionNumber, loadedAt: this.loadedAt, source: this.sourceName, config: structuredClone(this.running) }
  }

  /** Re-read GATEWAY_CONFIG and apply it. Rejects with a ConfigError (nothing changed) when it is invalid. */
  async reloadFile (): Promise<ReloadResult> {
    return await this.serialize(async () => {
      const path = this.options.env.configPath
      if (path === undefined) throw new ConfigError('GATEWAY_CONFIG', 'is not set: there is no config file to re-read (use PUT /config)')
      return await this.apply(() => readConfigFile(path), 'GATEWAY_CONFIG', path)
    })
  }

  /** Apply a config given whole (`PUT /config`), of the config file's shape. */
  async replace (body: unknown, source = 'PUT /config'): Promise<ReloadResult> {
    return await this.serialize(async () => await this.apply(() => {
      const parsed = validateWithSchema(ConfigFileSchema, structuredClone(body), 'config')
      return { ...parsed, routes: parsed.routes ?? [], tcp: parsed.tcp ?? [], udp: parsed.udp ?? [] }
    }, 'config', source))
  }

  private async serialize<T> (task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => {})
    return await run
  }

  private async apply (read: () => ConfigFile, root: string, source: string): Promise<ReloadResult> {
    const { pools: registry, log } = this.options
    let next: ConfigFile
    let plan: ReturnType<PoolRegistry['plan']> | undefined
    let l4: { set: L4ListenerSet, plan: L4Plan } | undefined
    try {
      next = read()
      const checked = checkReloadedConfig(next, this.options.env, registry, root)
      const table = this.options.routes?.()
      if (table === undefined) this.refuseRemovingRoutedPools(checked.pools, root)
      const built = registry.plan(checked.pools)
      plan = built
      // Routes compile against the pools they will see (new ones staged); the result is only a check.
      if (table !== undefined) {
        for (const entry of registry.withStaged(built, () => table.compile(next.routes, `${root}.routes`))) entry.close()
      }
      // L4 listeners last: binding the new ones is the one step that touches the system.
      l4 = await this.stageListeners(next, root, (name) => registry.withStaged(built, () => registry.get(name)))
    } catch (err) {
      if (plan !== undefined) registry.discard(plan)
      this.failedReloads++
      const message = err instanceof ConfigError ? err.message : `${root} could not be applied: ${(err as Error).message}`
      log.error({ source, field: err instanceof ConfigError ? err.field : undefined }, `config reload refused, running config kept: ${message}`)
      this.tell(false)
      throw err instanceof ConfigError ? err : new ConfigError(root, `could not be applied: ${(err as Error).message}`)
    }
    const targetsBefore = new Map([...registry].map((pool) => [pool.name, new Set(pool.targets)]))
    const change = await registry.apply(plan)
    let routes = 'unchanged'
    const routesChanged = JSON.stringify(next.routes) !== JSON.stringify(this.running.routes)
    const table = this.options.routes?.()
    if (table !== undefined) {
      // Compiled again now that the pools have their new config (sticky settings, …), then swapped in at once.
      this.swapRoutes(table, next.routes, root)
      routes = routesChanged ? 'replaced' : 'recompiled'
    } else if (routesChanged) {
      routes = 'not applied: this build registers routes at start, so route changes need a restart'
      next = { ...next, routes: this.running.routes }
    }
    const l4Change = l4 === undefined ? { added: [], changed: [], removed: [] } : l4.set.commit(l4.plan)
    // Removed pools: nothing new reaches them now that the routes and listeners are swapped; they finish and close.
    registry.retire(plan)
    this.running = structuredClone(next)
    this.versionNumber++
    this.loadedAtMs = Date.now()
    this.sourceName = source
    this.reloads++
    const targets: ReloadResult['targets'] = []
    for (const pool of registry) {
      const before = targetsBefore.get(pool.name)
      if (before === undefined) continue
      const now = new Set(pool.targets)
      const added = pool.targets.filter((t) => !before.has(t)).map((t) => t.id)
      const removed = [...before].filter((t) => !now.has(t)).map((t) => t.id)
      if (added.length > 0 || removed.length > 0) targets.push({ pool: pool.name, added, removed })
    }
    const result: ReloadResult = {
      configVersion: this.versionNumber,
      loadedAt: this.loadedAt,
      source,
      pools: { added: change.added.map((p) => p.name), changed: change.changed.map((c) => c.pool.name), removed: change.removed.map((p) => p.name) },
      targets,
      routes,
      l4: l4Change
    }
    log.info(result, `config reloaded: version ${this.versionNumber}`)
    this.tell(true)
    return result
  }

  /**
   * Validate `next`'s L4 listeners against the pools as the reload leaves
   * them, match them with the running ones and bind the new ones (held until
   * `commit`). Nothing to do when there are none and never were.
   */
  private async stageListeners (next: ConfigFile, root: string, pool: PoolLookup): Promise<{ set: L4ListenerSet, plan: L4Plan } | undefined> {
    const wanted = next.tcp.length > 0 || next.udp.length > 0
    const set = await this.options.l4?.(wanted)
    if (set === undefined) {
      if (wanted) throw new ConfigError(`${root}.${next.tcp.length > 0 ? 'tcp' : 'udp'}`, 'cannot be applied: this gateway has no L4 listeners to reconcile')
      return undefined
    }
    const { prepareListeners } = await import('../plugins/l4/listener-set.js')
    const plan = set.stage(prepareListeners(next.tcp, next.udp, `${root}.`, pool, set.defaultHost))
    await set.bind(plan)
    return { set, plan }
  }

  /** New routes in, old ones out and closed; a route that stays (same prefix) keeps its counters. */
  private swapRoutes (table: ReloadableRoutes, routes: RouteDeclarationInput[], root: string): void {
    const entries = table.compile(routes, `${root}.routes`)
    const before = new Map(table.table.entries.map((entry) => [entry.prefix, entry]))
    for (const entry of entries) {
      const old = before.get(entry.prefix)
      if (old !== undefined) Object.assign(entry.stats, old.stats)
    }
    for (const left of table.table.swap(entries)) left.close()
  }

  /** Without a swappable route table the running routes stay: a pool they use may not go. */
  private refuseRemovingRoutedPools (pools: Record<string, unknown>, root: string): void {
    for (const route of this.running.routes) {
      if (!(route.pool in pools)) {
        throw new ConfigError(`${root}.pools`, `must keep pool "${route.pool}": the running route "${route.path}" uses it (route changes need a restart in this build)`)
      }
    }
  }
}

const REDACTED = '[redacted]'

/** The environment as `/config` shows it: tokens and secrets replaced, passwords cut out of URLs. */
export function redactEnv (env: GatewayEnv): Record<string, unknown> {
  return {
    ...env,
    adminToken: env.adminToken === undefined ? undefined : REDACTED,
    stickySecret: env.stickySecret === undefined ? undefined : REDACTED,
    redisUrl: env.redisUrl === undefined ? undefined : redactUrlPassword(env.redisUrl)
  }
}

/** `redis://user:secret@host` → `redis://user:[redacted]@host`. */
export function redactUrlPassword (url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_all, scheme: string, credentials: string) => {
    const colon = credentials.indexOf(':')
    return colon === -1 ? `${scheme}${REDACTED}@` : `${scheme}${credentials.slice(0, colon)}:${REDACTED}@`
  })
}

/**
 * A config about to replace the running one, checked as a start would check
 * it (env defaults filled in, `checkConfig`), and against the running pools:
 * a pool keeps the family its targets speak. Used by the reloader and by a
 * cluster primary following its workers' reload.
 */
export function checkReloadedConfig (next: ConfigFile, env: GatewayEnv, registry: PoolRegistry, root: string): CheckedConfig {
  applyEnvDefaults(next.pools, env)
  const checked = checkConfig(next, root)
  for (const [name, family] of checked.families) {
    const running = registry.get(name)
    if (running !== undefined && family !== running.family) {
      throw new ConfigError(`${root}.pools.${name}.targets`, `must stay ${running.family} targets: a running pool cannot change what its targets speak (give the new pool another name)`)
    }
  }
  return checked
}
