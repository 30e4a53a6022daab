/**
 * The Redis client behind shared rate-limit counters, set to fail fast:
 * when Redis is down or hung a counter update fails within
 * `commandTimeoutMs` (or at once while disconnected) instead of queueing, and
 * the limiter lets the request through (fail open). Outages are logged once
 * when they start and once when Redis is back, not per request.
 */
import { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'

/** Time to open the connection before an attempt counts as failed. */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 1000
/** A counter update waiting longer than this fails (the request passes). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 250
/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000

export interface RateLimitRedisOptions {
  connectTimeoutMs?: number
  commandTimeoutMs?: number
}

export function createRateLimitRedis (url: string, log: FastifyBaseLogger, options: RateLimitRedisOptions = {}): Redis {
  const client = new Redis(url, {
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    // No queue while disconnected, no replay of a command after a reconnect: fail now, pass the request.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS)
  })
  // `undefined` until the first connection result; then one log line per change.
  let up: boolean | undefined
  client.on('ready', () => {
    if (up === false) log.info('rate-limit Redis is back: counters are shared again')
    up = true
  })
  // An 'error' listener must exist (ioredis prints unhandled ones).
  const down = (err?: Error): void => {
    if (up === false) return
    up = false
    log.warn({ err: err?.message }, 'rate-limit Redis unavailable: requests pass without rate limiting until it is back')
  }
  client.on('error', down)
  client.on('close', () => { if (up === true) down() })
  return client
}

/** Resolve when `client` is ready, or after `timeoutMs` (it keeps reconnecting in the background). */
export async function waitForReady (client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true
  return await new Promise((resolve) => {
    const done = (ready: boolean): void => {
      clearTimeout(timer)
      client.off('ready', onReady)
      resolve(ready)
    }
    const onReady = (): void => { done(true) }
    const timer = setTimeout(() => { done(false) }, timeoutMs)
    client.on('ready', onReady)
  })
}
