/**
 * The messages between the cluster primary and its workers (node:cluster's
 * IPC channel, JSON-serialized), and the small `Channel` shape both sides
 * talk through, so the framework-free parts can be tested over an
 * in-process pair. Every type starts with `switchyard:`; anything else on the
 * channel (node's own cluster messages) is ignored.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client'
import type { SharedHealthUpdate } from '../plugins/health/shared-state.js'
import type { PoolStatus, RouteStatus } from '../plugins/admin/status.js'
import type { ConfiguredRoute } from '../config/describe.js'
import type { L4ListenerStatus } from '../lib/l4-status.js'

/** Admin request forwarded to every worker's (not listening) admin instance. */
export interface ForwardedAdminRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string | undefined
}

export interface ForwardedAdminResponse {
  statusCode: number
  contentType: string | undefined
  body: string
}

/** What a worker reports for `/status` and `/metrics`. */
export interface WorkerReport {
  pools: PoolStatus[]
  /** The worker's L4 listeners (absent when it has none). */
  l4?: L4ListenerStatus[]
  /** The config version the worker runs and when it was loaded (the bundled app's reloader). */
  config?: { version: number, loadedAt: string }
  /** The routes as configured (the bundled app's reloader). */
  configuredRoutes?: ConfiguredRoute[]
  /** The route table's per-route counters (`/status` `routes`). */
  routes?: RouteStatus[]
  /** The response cache's store, when a route caches. */
  cache?: { store: string }
  metrics: Array<MetricObjectWithValues<MetricValue<string>>>
}

/** Primary → worker. */
export type ToWorker =
  /** Shared active-check results; `snapshot` answers a worker's `hello` with the whole current state. */
  | { type: 'switchyard:health', updates: SharedHealthUpdate[], snapshot: boolean }
  /** The count of a rate-limit key after an `incr`. */
  | { type: 'switchyard:rate-limit-count', id: number, current: number, ttl: number }
  | { type: 'switchyard:report-request', id: number }
  | { type: 'switchyard:admin-request', id: number, request: ForwardedAdminRequest }
  /** Whether this worker reads the shared UDP listeners' sockets (one worker does: each client's datagrams make one session). */
  | { type: 'switchyard:udp-reader', reading: boolean }
  /** The primary's SIGHUP: re-read GATEWAY_CONFIG (workers ignore a SIGHUP of their own, see cluster/worker.ts). */
  | { type: 'switchyard:reload' }

/** Worker → primary. */
export type ToPrimary =
  /** The worker is built and asks for the current health state before it listens. */
  | { type: 'switchyard:hello' }
  | { type: 'switchyard:listening', address: string }
  | { type: 'switchyard:rate-limit-incr', id: number, key: string, windowMs: number, max: number }
  | { type: 'switchyard:report', id: number, report: WorkerReport }
  | { type: 'switchyard:admin-response', id: number, response: ForwardedAdminResponse }
  /** A whole-config reload of this worker was applied or refused (the primary's pools follow a SIGHUP once every worker applied it). */
  | { type: 'switchyard:reload-outcome', applied: boolean, configVersion: number }

/** One side of an IPC channel. */
export interface Channel<Out, In> {
  send: (message: Out) => void
  /** Listen to this side's incoming messages; returns the function that stops listening. */
  onMessage: (listener: (message: In) => void) => () => void
}

export function isSwitchyardMessage (message: unknown): message is { type: `switchyard:${string}` } {
  return typeof message === 'object' && message !== null &&
    typeof (message as { type?: unknown }).type === 'string' && (message as { type: string }).type.startsWith('switchyard:')
}

/** The worker's channel to the primary: `process.send` and `process.on('message')`. */
export function processChannel (): Channel<ToPrimary, ToWorker> {
  return {
    send: (message) => {
      if (process.connected && process.send !== undefined) process.send(message)
    },
    onMessage: (listener) => {
      const handler = (message: unknown): void => { if (isSwitchyardMessage(message)) listener(message as ToWorker) }
      process.on('message', handler)
      return () => { process.off('message', handler) }
    }
  }
}
