/**
 * The cluster primary (`GATEWAY_WORKERS` > 1): a small control plane that
 * serves no proxied traffic. It forks the workers (node:cluster, round-robin
 * scheduling: the primary accepts and hands each connection to the next
 * worker), gives them one sticky secret, counts their rate limits
 * (`RateLimitCounters`), runs the active health checks once and shares the
 * results (`PrimaryHealthChecks`), serves the admin listener for all of them
 * (`admin.ts`), replaces a worker that dies (`RestartPolicy`), forwards
 * SIGHUP, and on SIGTERM/SIGINT drains every worker before it exits.
 *
 * A whole-config reload (SIGHUP, forwarded as a signal; the admin's
 * `POST /config/reload` and `PUT /config`, forwarded over IPC) is applied by
 * each worker; once every one of them applied it, it reaches the primary's
 * own pools too — the same validation as a worker's, then the registry's
 * plan/apply — so its health checks follow added, changed and removed pools,
 * and a config a worker refused changes nothing there. Of the workers, one at a time reads the shared UDP
 * listener sockets (`switchyard:udp-reader`): the first that greets the
 * primary, and when it dies the next live one.
 */
import cluster, { type Worker } from 'node:cluster'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import closeWithGrace from 'close-with-grace'
import { pino, type Logger } from 'pino'
import { loadConfig, readConfigFile, ConfigFileSchema, type ConfigFile, type Env, type GatewayConfig } from '../config/index.js'
import { checkReloadedConfig } from '../config/reload.js'
import { validateWithSchema } from '../lib/validate.js'
import { PoolRegistry } from '../plugins/pools/index.js'
import { PoolsConfigSchema } from '../plugins/pools/options.js'
import { RANDOM_SECRET_BYTES } from '../lib/sticky-secret.js'
import { startClusterAdmin } from './admin.js'
import type { ForwardedAdminRequest, ForwardedAdminResponse, ToPrimary, ToWorker, WorkerReport } from './ipc.js'
import { isSwitchyardMessage } from './ipc.js'
import { PrimaryHealthChecks } from './primary-health.js'
import { RateLimitCounters } from './rate-limit-counters.js'
import { RestartPolicy } from './restart-policy.js'
import type { WorkerSummary } from './status-merge.js'

/** A worker that does not answer a status, metrics or admin request within this is left out. */
export const WORKER_ANSWER_TIMEOUT_MS = 2000
/** A worker's answer to a whole-config reload may take longer (new host names are resolved first). */
export const WORKER_RELOAD_TIMEOUT_MS = 30_000
/** How often expired rate-limit windows are dropped. */
const RATE_LIMIT_SWEEP_MS = 60_000

export interface PrimaryOptions {
  workers: number
  /** How long a worker may take to finish its in-flight requests on SIGTERM (each worker's own grace). */
  graceMs: number
}

interface Slot {
  index: number
  policy: RestartPolicy
  worker: Worker | undefined
  startedAt: number
  listening: boolean
  /** Said hello (its gateway is built): it may be given the UDP sockets to read. */
  greeted: boolean
  replaceTimer: NodeJS.Timeout | undefined
}

interface Waiting {
  resolve: (message: ToPrimary | undefined) => void
  timer: NodeJS.Timeout
}

/** Start the primary; resolves once every worker listens. Throws (after cleaning up) when the start fails. */
export async function startPrimary (envVars: Env, options: PrimaryOptions): Promise<void> {
  const config = loadConfig(envVars)
  const log = pino({ level: config.env.logLevel })
  const primary = new ClusterPrimary(config, options, log)
  try {
    await primary.start()
  } catch (err) {
    await primary.stop()
    throw err
  }
  process.on('SIGHUP', () => { primary.reload() })
  closeWithGrace({ delay: options.graceMs + 2000, logger: log, skip: ['SIGHUP'] }, async ({ signal, err }) => {
    if (err !== undefined) log.error({ err }, 'stopping after an error')
    else log.info({ signal, workers: options.workers }, 'stopping: draining every worker')
    const allDrained = await primary.stop()
    if (!allDrained) throw new Error('some workers did not finish in time')
    log.info('all workers finished: exiting')
  })
}

class ClusterPrimary {
  private config: GatewayConfig
  private readonly options: PrimaryOptions
  private readonly log: Logger
  private readonly stickySecret: string
  private readonly pools: PoolRegistry
  private readonly health: PrimaryHealthChecks
  private readonly counters = new RateLimitCounters()
  private readonly sweeper: NodeJS.Timeout
  private readonly slots: Slot[] = []
  private readonly waiting = new Map<number, Waiting>()
  private nextRequestId = 1
  private admin: FastifyInstance | undefined
  /** The worker that reads the shared UDP sockets. */
  private udpReader: Slot | undefined
  /** A SIGHUP's reload, waiting for every signalled worker's outcome before the primary's pools follow. */
  private signalledReload: { waiting: Set<Worker>, refused: boolean, timer: NodeJS.Timeout, apply: () => void } | undefined
  private stopping = false
  /** Rejects the start when a worker dies before it listens. */
  private startFailed: ((err: Error) => void) | undefined
  private startDone: (() => void) | undefined

  constructor (config: GatewayConfig, options: PrimaryOptions, log: Logger) {
    this.config = config
    this.options = options
    this.log = log
    this.stickySecret = config.env.stickySecret ?? this.randomStickySecret()
    this.pools = new PoolRegistry(validateWithSchema(PoolsConfigSchema, structuredClone(config.pools), 'pools'), config.env.defaultBalancer)
    this.health = new PrimaryHealthChecks(this.pools, log, (updates) => { this.broadcast({ type: 'switchyard:health', updates, snapshot: false }) })
    this.sweeper = setInterval(() => { this.counters.sweep(Date.now()) }, RATE_LIMIT_SWEEP_MS)
    this.sweeper.unref()
  }

  async start (): Promise<void> {
    const { env } = this.config
    this.admin = await startClusterAdmin({
      port: env.adminPort,
      host: env.adminHost,
      token: env.adminToken,
      log: this.log,
      collect: async () => await this.collect(),
      health: () => this.health.states(),
      forward: async (request) => await this.forward(request)
    })
    this.health.start()
    cluster.schedulingPolicy = cluster.SCHED_RR
    cluster.on('message', (worker, message: unknown) => { this.onMessage(worker, message) })
    cluster.on('exit', (worker, code, signal) => { this.onExit(worker, code, signal) })
    const listening = new Promise<void>((resolve, reject) => {
      this.startDone = resolve
      this.startFailed = reject
    })
    for (let index = 0; index < this.options.workers; index++) {
      const slot: Slot = { index, policy: new RestartPolicy(), worker: undefined, startedAt: 0, listening: false, greeted: false, replaceTimer: undefined }
      this.slots.push(slot)
      this.fork(slot)
    }
    await listening
    this.startDone = undefined
    this.startFailed = undefined
    this.log.info({ workers: this.options.workers, healthCheckedPools: this.health.checkedPools }, `cluster ready: ${this.options.workers} workers listening`)
  }

  /**
   * SIGHUP: relayed (over IPC) to every listening worker, which reloads the config file
   * (and its TLS certificate) itself. Once every one of them has told that it
   * applied the config (`switchyard:reload-outcome`), the primary's pools
   * follow (health checks); when one refused it (invalid, a port in use),
   * nothing changes in the primary.
   */
  reload (): void {
    const signalled = new Set<Worker>()
    for (const slot of this.slots) {
      if (slot.worker !== undefined && slot.listening) {
        this.send(slot.worker, { type: 'switchyard:reload' })
        signalled.add(slot.worker)
      }
    }
    this.log.info({ workers: signalled.size }, 'SIGHUP: reload sent to the workers')
    const path = this.config.env.configPath
    if (path === undefined || signalled.size === 0) return
    if (this.signalledReload !== undefined) clearTimeout(this.signalledReload.timer)
    const timer = setTimeout(() => {
      if (this.signalledReload?.timer !== timer) return
      this.signalledReload = undefined
      this.log.warn({ waitedMs: WORKER_RELOAD_TIMEOUT_MS }, 'SIGHUP: not every worker told its reload outcome: the primary\'s pools (health checks) are not reloaded')
    }, WORKER_RELOAD_TIMEOUT_MS)
    timer.unref()
    this.signalledReload = { waiting: signalled, refused: false, timer, apply: () => { this.reloadPools(() => readConfigFile(path), 'GATEWAY_CONFIG') } }
  }

  /** A worker's reload outcome, while a SIGHUP reload waits for them. */
  private onReloadOutcome (worker: Worker, applied: boolean): void {
    const pending = this.signalledReload
    if (pending === undefined || !pending.waiting.delete(worker)) return
    pending.refused ||= !applied
    if (pending.waiting.size > 0) return
    clearTimeout(pending.timer)
    this.signalledReload = undefined
    if (pending.refused) this.log.warn('SIGHUP: a worker refused the config: the primary\'s pools (health checks) are kept as they were')
    else pending.apply()
  }

  /**
   * The primary's own copy of the pools (its health checks follow them) takes
   * the config every worker has just applied, validated as a worker validates
   * it (an error is logged and changes nothing).
   */
  private reloadPools (read: () => ConfigFile, root: string): void {
    try {
      const next = read()
      const { pools } = checkReloadedConfig(next, this.config.env, this.pools, root)
      const plan = this.pools.plan(pools)
      this.pools.apply(plan).then(() => { this.pools.retire(plan) }, (err: unknown) => {
        this.log.error({ err }, 'config reload: the primary\'s pools were not all applied')
      })
      this.config = { ...this.config, pools: next.pools, routes: next.routes, tcp: next.tcp, udp: next.udp }
    } catch (err) {
      this.log.error(`config reload refused in the primary, running config kept: ${(err as Error).message}`)
    }
  }

  /** Drain every worker (SIGTERM each, wait for its exit); `true` when all exited cleanly. */
  async stop (): Promise<boolean> {
    this.stopping = true
    if (this.signalledReload !== undefined) clearTimeout(this.signalledReload.timer)
    this.signalledReload = undefined
    this.health.stop()
    clearInterval(this.sweeper)
    const exits: Array<Promise<boolean>> = []
    for (const slot of this.slots) {
      if (slot.replaceTimer !== undefined) clearTimeout(slot.replaceTimer)
      const worker = slot.worker
      if (worker === undefined || worker.process.exitCode !== null || worker.process.signalCode !== null) continue
      // A worker still starting has no drain to do: its end by the signal is clean too.
      const started = slot.listening
      exits.push(new Promise((resolve) => { worker.once('exit', (code: number | null) => { resolve(code === 0 || !started) }) }))
      worker.process.kill('SIGTERM')
    }
    const clean = await Promise.all(exits)
    for (const waiting of this.waiting.values()) {
      clearTimeout(waiting.timer)
      waiting.resolve(undefined)
    }
    this.waiting.clear()
    await this.admin?.close()
    await this.pools.close()
    return clean.every(Boolean)
  }

  private fork (slot: Slot): void {
    slot.replaceTimer = undefined
    slot.listening = false
    slot.greeted = false
    slot.startedAt = Date.now()
    // Every worker signs sticky cookies with the same key.
    slot.worker = cluster.fork({ GATEWAY_STICKY_SECRET: this.stickySecret })
  }

  private slotOf (worker: Worker): Slot | undefined {
    return this.slots.find((slot) => slot.worker === worker)
  }

  private onMessage (worker: Worker, raw: unknown): void {
    if (!isSwitchyardMessage(raw)) return
    const message = raw as ToPrimary
    switch (message.type) {
      case 'switchyard:rate-limit-incr': {
        const { current, ttl } = this.counters.incr(message.key, message.windowMs, Date.now())
        this.send(worker, { type: 'switchyard:rate-limit-count', id: message.id, current, ttl })
        break
      }
      case 'switchyard:hello': {
        this.send(worker, { type: 'switchyard:health', updates: this.health.snapshot(), snapshot: true })
        const slot = this.slotOf(worker)
        if (slot !== undefined && !slot.greeted) {
          slot.greeted = true
          this.chooseUdpReader()
        }
        break
      }
      case 'switchyard:listening': {
        const slot = this.slotOf(worker)
        if (slot === undefined) break
        slot.listening = true
        this.log.info({ worker: worker.id, workerPid: worker.process.pid, address: message.address }, 'worker listening')
        if (this.startDone !== undefined && this.slots.every((s) => s.listening)) this.startDone()
        break
      }
      case 'switchyard:reload-outcome':
        this.onReloadOutcome(worker, message.applied)
        break
      case 'switchyard:report':
      case 'switchyard:admin-response': {
        const waiting = this.waiting.get(message.id)
        if (waiting === undefined) break
        this.waiting.delete(message.id)
        clearTimeout(waiting.timer)
        waiting.resolve(message)
        break
      }
    }
  }

  private onExit (worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.slotOf(worker)
    if (slot === undefined) return
    slot.worker = undefined
    slot.listening = false
    slot.greeted = false
    if (this.signalledReload?.waiting.has(worker) === true) this.onReloadOutcome(worker, true)
    if (this.udpReader === slot) {
      this.udpReader = undefined
      if (!this.stopping) this.chooseUdpReader()
    }
    if (this.stopping) {
      this.log.info({ worker: worker.id, workerPid: worker.process.pid, code, signal }, 'worker finished')
      return
    }
    if (this.startFailed !== undefined) {
      this.startFailed(new Error(`a worker exited (${signal ?? `code ${String(code)}`}) before it listened`))
      return
    }
    const delayMs = slot.policy.delayAfterDeath(Date.now() - slot.startedAt)
    this.log.warn({ worker: worker.id, workerPid: worker.process.pid, code, signal, restartInMs: delayMs }, 'worker died: replacing it')
    slot.replaceTimer = setTimeout(() => { this.fork(slot) }, delayMs)
  }

  /**
   * Keep one worker reading the shared UDP sockets: the current reader while
   * it lives, else the first greeted worker (its sessions start afresh: those
   * of a dead reader are gone with it, as with one process).
   */
  private chooseUdpReader (): void {
    const current = this.udpReader
    if (current?.worker !== undefined && current.greeted) return
    const next = this.slots.find((slot) => slot.worker !== undefined && slot.greeted && slot.worker.isConnected())
    this.udpReader = next
    if (next?.worker === undefined) return
    this.send(next.worker, { type: 'switchyard:udp-reader', reading: true })
    this.log.info({ worker: next.worker.id, workerPid: next.worker.process.pid }, 'worker reads the shared UDP sockets')
  }

  private send (worker: Worker, message: ToWorker): void {
    if (!worker.isConnected()) return
    // With a callback, a channel closed meanwhile is an ignored error, not an 'error' event.
    worker.send(message, () => {})
  }

  private broadcast (message: ToWorker): void {
    for (const slot of this.slots) if (slot.worker !== undefined) this.send(slot.worker, message)
  }

  private liveWorkers (): Worker[] {
    return this.slots.flatMap((slot) => slot.worker !== undefined && slot.listening && slot.worker.isConnected() ? [slot.worker] : [])
  }

  /** Send a request to `worker`; its answer, or `undefined` after the timeout. */
  private async ask (worker: Worker, build: (id: number) => ToWorker, timeoutMs = WORKER_ANSWER_TIMEOUT_MS): Promise<ToPrimary | undefined> {
    const id = this.nextRequestId++
    return await new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        resolve(undefined)
      }, timeoutMs)
      this.waiting.set(id, { resolve, timer })
      this.send(worker, build(id))
    })
  }

  private async collect (): Promise<Array<{ worker: WorkerSummary, report: WorkerReport | undefined }>> {
    return await Promise.all(this.liveWorkers().map(async (worker) => {
      const answer = await this.ask(worker, (id) => ({ type: 'switchyard:report-request', id }))
      const report = answer?.type === 'switchyard:report' ? answer.report : undefined
      const config = report?.config
      return { worker: { id: worker.id, pid: worker.process.pid, answered: report !== undefined, ...(config !== undefined ? { configVersion: config.version, loadedAt: config.loadedAt } : {}) }, report }
    }))
  }

  private async forward (request: ForwardedAdminRequest): Promise<ForwardedAdminResponse[]> {
    const path = request.url.split('?')[0]
    const configPath = this.config.env.configPath
    const reloadsFile = request.method === 'POST' && path === '/config/reload' && configPath !== undefined
    const replaces = request.method === 'PUT' && path === '/config'
    const workers = this.liveWorkers()
    const answers = await Promise.all(workers.map(async (worker) =>
      await this.ask(worker, (id) => ({ type: 'switchyard:admin-request', id, request }), reloadsFile || replaces ? WORKER_RELOAD_TIMEOUT_MS : WORKER_ANSWER_TIMEOUT_MS)))
    const responses = answers.flatMap((answer) => answer?.type === 'switchyard:admin-response' ? [answer.response] : [])
    // A whole-config reload every worker applied (token, origin and body checked by them) reaches the primary's pools too.
    const allApplied = responses.length === workers.length && responses.length > 0 && responses.every((response) => response.statusCode === 200)
    if (allApplied && reloadsFile) this.reloadPools(() => readConfigFile(configPath), 'GATEWAY_CONFIG')
    else if (allApplied && replaces) {
      this.reloadPools(() => {
        const parsed = validateWithSchema(ConfigFileSchema, JSON.parse(request.body ?? '') as unknown, 'config')
        return { ...parsed, routes: parsed.routes ?? [], tcp: parsed.tcp ?? [], udp: parsed.udp ?? [] }
      }, 'config')
    }
    return responses
  }

  private randomStickySecret (): string {
    const sticky = Object.values(this.config.pools).some((pool) => pool.sticky !== undefined)
    if (sticky) {
      this.log.warn('GATEWAY_STICKY_SECRET is not set: the workers share a random key made at start, ' +
        'so only this instance honours its sticky cookies, and only until it restarts')
    }
    return randomBytes(RANDOM_SECRET_BYTES).toString('base64url')
  }
}
