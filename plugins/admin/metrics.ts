/**
 * Prometheus metrics for `/metrics`, read from the targets' live state at
 * scrape time: nothing is added to the request path. In cluster mode each
 * worker's registry is merged by prom-client's `AggregatorRegistry.aggregate`
 * with each metric's `aggregator` (counters and in-flight summed, availability
 * the minimum over workers, latency the average).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Aggregator } from 'prom-client'
import type { PoolRegistry, Target } from '../pools/index.js'
import type { L4Counters, L4ListenerStatus } from '../../lib/l4-status.js'

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const

/**
 * A registry of its own (no global state) whose gauges read `pools` (and the
 * L4 listeners' counters from `l4`) when scraped.
 */
export function createMetricsRegistry (pools: PoolRegistry, l4: () => L4ListenerStatus[] = () => []): Registry {
  const registry = new Registry()
  // Default metric names start with process_ or nodejs_ already: switchyard_process_cpu_seconds_total, …
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_' })

  // Each metric is filled from the targets by prom-client's collect() hook, just before a scrape.
  const perTarget = (name: string, help: string, kind: 'counter' | 'gauge', read: (target: Target, now: number) => number, aggregator: Aggregator = 'sum'): void => {
    const fill = (set: (labels: { pool: string, target: string }, value: number) => void): void => {
      const now = Date.now()
      for (const pool of pools) {
        for (const target of pool.targets) set({ pool: pool.name, target: target.id }, read(target, now))
      }
    }
    if (kind === 'counter') {
      const counter: Counter<'pool' | 'target'> = new Counter({
        name, help, labelNames: ['pool', 'target'], registers: [registry], collect () { counter.reset(); fill((l, v) => counter.inc(l, v)) }
      })
    } else {
      const gauge: Gauge<'pool' | 'target'> = new Gauge({
        name, help, labelNames: ['pool', 'target'], registers: [registry], aggregator, collect () { gauge.reset(); fill((l, v) => gauge.set(l, v)) }
      })
    }
  }
  perTarget('switchyard_target_requests_total', 'Requests sent to the target', 'counter', (t) => t.requests)
  perTarget('switchyard_target_failures_total', 'Transport failures: refused, reset, timed out', 'counter', (t) => t.failures)
  perTarget('switchyard_target_in_flight', 'Requests in flight to the target', 'gauge', (t) => t.inFlight)
  perTarget('switchyard_target_available', '1 when the target may take new requests', 'gauge', (t, now) => t.isAvailable(now) ? 1 : 0, 'min')
  perTarget('switchyard_target_latency_ewma_seconds', 'Peak-EWMA of time to response headers', 'gauge', (t) => t.latencyEwmaMs / 1000, 'average')

  const responses: Counter<'pool' | 'target' | 'class'> = new Counter({
    name: 'switchyard_upstream_responses_total',
    help: 'Upstream responses by status class',
    labelNames: ['pool', 'target', 'class'],
    registers: [registry],
    collect () {
      responses.reset()
      for (const pool of pools) {
        for (const target of pool.targets) {
          STATUS_CLASSES.forEach((name, i) => {
            responses.inc({ pool: pool.name, target: target.id, class: name }, target.responsesByClass[i + 1] as number)
          })
        }
      }
    }
  })
  addL4Metrics(registry, l4)
  return registry
}

type L4Labels = 'protocol' | 'listener' | 'pool' | 'target'

/**
 * Per L4 listener (`target=""`) and per target behind it: active and total
 * connections (sessions for UDP), bytes each way, connect failures.
 */
function addL4Metrics (registry: Registry, l4: () => L4ListenerStatus[]): void {
  const metric = (name: string, help: string, kind: 'counter' | 'gauge', read: (c: L4Counters) => number): void => {
    const fill = (set: (labels: Record<L4Labels, string>, value: number) => void): void => {
      for (const listener of l4()) {
        set({ protocol: listener.protocol, listener: listener.address, pool: listener.pool, target: '' }, read(listener))
        for (const target of listener.targets) set({ protocol: listener.protocol, listener: listener.address, pool: target.pool, target: target.id }, read(target))
      }
    }
    const labelNames: L4Labels[] = ['protocol', 'listener', 'pool', 'target']
    if (kind === 'counter') {
      const counter: Counter<L4Labels> = new Counter({ name, help, labelNames, registers: [registry], collect () { counter.reset(); fill((l, v) => counter.inc(l, v)) } })
    } else {
      const gauge: Gauge<L4Labels> = new Gauge({ name, help, labelNames, registers: [registry], collect () { gauge.reset(); fill((l, v) => gauge.set(l, v)) } })
    }
  }
  metric('switchyard_l4_active_connections', 'Open L4 connections (UDP: live sessions)', 'gauge', (c) => c.active)
  metric('switchyard_l4_connections_total', 'L4 connections (UDP: sessions) handled', 'counter', (c) => c.total)
  metric('switchyard_l4_received_bytes_total', 'Bytes from clients towards targets', 'counter', (c) => c.bytesIn)
  metric('switchyard_l4_sent_bytes_total', 'Bytes from targets back to clients', 'counter', (c) => c.bytesOut)
  metric('switchyard_l4_connect_failures_total', 'Connects to targets that failed', 'counter', (c) => c.connectFailures)
}
