/**
 * A `@fastify/rate-limit` store (its `store` option) for cluster workers:
 * each `incr` asks the primary, which counts for every worker
 * (`RateLimitCounters`), so a limit holds across the cluster as it does in
 * one process. One IPC round trip per limited request.
 *
 * Fails open like the Redis store: when the primary does not answer within
 * `timeoutMs` the callback gets an error and the plugin (`skipOnError`) lets
 * the request pass. Framework-free apart from the store's shape.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Channel, ToPrimary, ToWorker } from './ipc.js'

/** A count not answered within this is given up (the request passes). */
export const DEFAULT_RATE_LIMIT_IPC_TIMEOUT_MS = 500

type IncrCallback = (error: Error | null, result?: { current: number, ttl: number }) => void

interface Pending {
  callback: IncrCallback
  sentAt: number
}

/** The shared side of every store instance (and child): the channel and the requests waiting for it. */
export class RateLimitClient {
  private readonly channel: Channel<ToPrimary, ToWorker>
  private readonly timeoutMs: number
  private readonly pending = new Map<number, Pending>()
  private readonly stopListening: () => void
  private nextId = 1
  private sweeper: NodeJS.Timeout | undefined

  constructor (channel: Channel<ToPrimary, ToWorker>, timeoutMs = DEFAULT_RATE_LIMIT_IPC_TIMEOUT_MS) {
    this.channel = channel
    this.timeoutMs = timeoutMs
    this.stopListening = channel.onMessage((message) => {
      if (message.type !== 'switchyard:rate-limit-count') return
      const waiting = this.pending.get(message.id)
      if (waiting === undefined) return
      this.pending.delete(message.id)
      waiting.callback(null, { current: message.current, ttl: message.ttl })
    })
  }

  incr (key: string, windowMs: number, max: number, callback: IncrCallback): void {
    const id = this.nextId++
    this.pending.set(id, { callback, sentAt: Date.now() })
    // One timer for all waiting requests, not one per request (it runs only while some wait).
    if (this.sweeper === undefined) this.sweeper = setInterval(() => { this.expire(Date.now()) }, Math.max(10, this.timeoutMs / 2))
    this.channel.send({ type: 'switchyard:rate-limit-incr', id, key, windowMs, max })
  }

  /** Fail the requests waiting longer than the timeout. */
  private expire (now: number): void {
    for (const [id, waiting] of this.pending) {
      if (now - waiting.sentAt < this.timeoutMs) continue
      this.pending.delete(id)
      waiting.callback(new Error('rate-limit count not answered by the cluster primary'))
    }
    if (this.pending.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
    }
  }

  /** Stop listening; waiting requests pass. */
  close (): void {
    this.stopListening()
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    this.sweeper = undefined
    for (const waiting of this.pending.values()) waiting.callback(new Error('closed'))
    this.pending.clear()
  }
}

/** The store class to give `@fastify/rate-limit` (every instance shares `client`). */
export function ipcRateLimitStore (client: RateLimitClient): FastifyRateLimitStoreCtor {
  class IpcRateLimitStore implements FastifyRateLimitStore {
    incr (key: string, callback: IncrCallback, timeWindow: number, max: number): void {
      client.incr(key, timeWindow, max, callback)
    }

    child (): FastifyRateLimitStore {
      return this
    }
  }
  return IpcRateLimitStore
}
