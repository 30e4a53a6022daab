/**
 * Redis clients of the gateway (cache store, rate-limit counters), made one
 * way: fail fast, and ONE circuit breaker per client. ioredis is loaded only
 * when a client is made (`await import`), so an app without Redis never pays
 * for it.
 *
 * Fail fast: no offline queue, no replay after a reconnect, a command timeout
 * (250 ms by default). Breaker: the first command that times out, or a lost
 * connection, opens it; from then on `run()` rejects at once with
 * `RedisUnavailableError` (callers do without Redis: a cache miss, a request
 * not counted) until a background PING (every second) answers. Each outage is
 * logged twice: once when it starts, once when Redis is back.
 */
import type { Redis } from 'ioredis'
import { CircuitBreaker } from './circuit-breaker.js'

/** Time to open the connection before an attempt counts as failed. */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 1000
/** A command waiting longer than this fails (and opens the breaker). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 250
/** Pause between probes (PING) while the breaker is open. */
export const DEFAULT_REDIS_PROBE_INTERVAL_MS = 1000
/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000

/** `run()` while Redis is out: do without it. */
export class RedisUnavailableError extends Error {
  readonly code = 'SWITCHYARD_REDIS_UNAVAILABLE'
  constructor (name: string) {
    super(`${name} Redis unavailable`)
    this.name = 'RedisUnavailableError'
  }
}

/** The part of a pino logger the client logs to. */
export interface RedisLogger {
  warn: (obj: object, msg: string) => void
  info: (obj: object, msg: string) => void
}

export interface GuardedRedisOptions {
  /** Who uses the client, in log lines: `cache`, `rate-limit`. */
  name: string
  log: RedisLogger
  /** What the users do while Redis is out, said in the outage line. */
  whileDown?: string
  /** What works again when it is back, said in the recovery line. */
  whenBack?: string
  /** Pause between probes while out. Default 1000 ms. */
  probeIntervalMs?: number
  /** Disconnect the client on `close()`. Default true (false for a client you passed in). */
  owned?: boolean
}

export interface RedisClientOptions extends GuardedRedisOptions {
  /** Default 1000 ms. */
  connectTimeoutMs?: number
  /** Default 250 ms. */
  commandTimeoutMs?: number
}

/** An ioredis client behind a circuit breaker. */
export class GuardedRedis {
  /** The ioredis client (commands should go through `run`). */
  readonly client: Redis
  private readonly breaker: CircuitBreaker
  private readonly name: string
  private readonly owned: boolean
  private closed = false

  constructor (client: Redis, options: GuardedRedisOptions) {
    this.client = client
    this.name = options.name
    this.owned = options.owned ?? false
    const { log, name } = options
    this.breaker = new CircuitBreaker({
      probeIntervalMs: options.probeIntervalMs ?? DEFAULT_REDIS_PROBE_INTERVAL_MS,
      probe: async () => {
        if (client.status !== 'ready') throw new Error('not connected')
        await client.ping()
      },
      onOpen: (reason) => {
        log.warn({ redis: name, err: reason?.message }, `${name} Redis unavailable: ${options.whileDown ?? 'working without it'} until it is back`)
      },
      onClose: () => {
        log.info({ redis: name }, `${name} Redis is back${options.whenBack !== undefined ? `: ${options.whenBack}` : ''}`)
      }
    })
    // ioredis prints unhandled 'error' events: these are outages, told once by the breaker.
    client.on('error', this.onConnectionLost)
    client.on('close', this.onConnectionLost)
    client.on('ready', this.onReady)
  }

  /** Redis may be used now: connected and not out. */
  get available (): boolean {
    return !this.breaker.isOpen && this.client.status === 'ready'
  }

  /** Run `command` on the client, or reject at once with RedisUnavailableError while Redis is out. */
  async run<T> (command: (client: Redis) => Promise<T>): Promise<T> {
    if (this.breaker.isOpen) throw new RedisUnavailableError(this.name)
    if (this.client.status !== 'ready') {
      this.breaker.trip(new Error(`not connected (${this.client.status})`))
      throw new RedisUnavailableError(this.name)
    }
    try {
      return await command(this.client)
    } catch (err) {
      // A reply error is Redis answering (a bad command): not an outage.
      if ((err as Error).name !== 'ReplyError') this.breaker.trip(err as Error)
      throw err
    }
  }

  /** Resolve true once connected, or false after `timeoutMs` (it keeps trying in the background). */
  async ready (timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return true
    return await new Promise((resolve) => {
      const done = (ready: boolean): void => {
        clearTimeout(timer)
        this.client.off('ready', onReady)
        resolve(ready)
      }
      const onReady = (): void => { done(true) }
      const timer = setTimeout(() => { done(false) }, timeoutMs)
      this.client.on('ready', onReady)
    })
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.breaker.stop()
    this.client.off('close', this.onConnectionLost)
    this.client.off('ready', this.onReady)
    if (this.owned) {
      this.client.disconnect()
    }
    // Keep an 'error' listener: a late one must not be printed as unhandled.
    this.client.off('error', this.onConnectionLost)
    this.client.on('error', () => {})
  }

  private readonly onConnectionLost = (err?: Error): void => {
    if (this.closed) return
    this.breaker.trip(err instanceof Error ? err : new Error('connection closed'))
  }

  private readonly onReady = (): void => {
    this.breaker.probeNow()
  }
}

/** Make a fail-fast client for `url` behind its own breaker (loads ioredis now). */
export async function createRedisClient (url: string, options: RedisClientOptions): Promise<GuardedRedis> {
  const { Redis } = await import('ioredis')
  const client = new Redis(url, {
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    // No queue while disconnected, no replay of a command after a reconnect: fail now.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS)
  })
  return new GuardedRedis(client, { ...options, owned: options.owned ?? true })
}
