/**
 * Rate-limit benchmark (issue 6): the cost of rate limiting (memory store) on
 * forwarding throughput, measured in one run as ratios to the same gateway
 * without a limit:
 *   - no limit,
 *   - global limit (GATEWAY_RATE_LIMIT_MAX, per client IP),
 *   - global + a per-route limit (two counters per request),
 *   - per-route limit keyed by a header.
 * Limits are set far above the load, so every request is counted and passes.
 *
 * The gateway is pinned to CPU 1, the backends to CPU 0 (when taskset
 * exists); autocannon runs in this process.
 *   node --import tsx bench/limits.ts   (BENCH_DURATION_SEC, BENCH_CONNECTIONS)
 */
import { measure, ratio, startServer, type LoadResult } from './lib.js'

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const HUGE = 1_000_000_000

const backends = await startServer('backends', ['2'], 0)
const targets = (backends.info.ports as number[]).map((p) => `http://127.0.0.1:${p}`)
const rows: Array<{ name: string, result: LoadResult }> = []

interface Case {
  name: string
  route: Record<string, unknown>
  env: Record<string, string>
  headers?: Record<string, string>
}
const cases: Case[] = [
  { name: 'no limit', route: {}, env: {} },
  { name: 'global limit (memory)', route: {}, env: { GATEWAY_RATE_LIMIT_MAX: String(HUGE) } },
  { name: 'global + route limit (memory)', route: { rateLimit: { max: HUGE, windowMs: 60000 } }, env: { GATEWAY_RATE_LIMIT_MAX: String(HUGE) } },
  { name: 'route limit by header (memory)', route: { rateLimit: { max: HUGE, windowMs: 60000, key: 'header:x-api-key' } }, env: {}, headers: { 'x-api-key': 'bench' } },
  // The baseline again, last: the spread between the two no-limit rows is the run's noise.
  { name: 'no limit (again: noise gauge)', route: {}, env: {} }
]

try {
  for (const c of cases) {
    const config = JSON.stringify({ pools: { bench: { targets } }, routes: [{ path: '/', pool: 'bench', ...c.route }] })
    const gateway = await startServer('switchyard', [config, JSON.stringify({ GATEWAY_COMPRESSION: 'off', ...c.env })], 1)
    try {
      const result = await measure(`http://127.0.0.1:${gateway.info.port as number}/1k`, {
        connections: CONNECTIONS, durationSec: DURATION, ...(c.headers !== undefined ? { headers: c.headers } : {})
      })
      rows.push({ name: c.name, result })
      process.stderr.write(`${c.name}: ${result.rps} req/s p99 ${result.p99} ms\n`)
    } finally {
      gateway.stop()
    }
  }
} finally {
  backends.stop()
}

const base = (rows[0] as { result: LoadResult }).result
console.log('\n| case (1 KB responses) | req/s | p50 ms | p99 ms | req/s vs no limit | p99 vs no limit | non-2xx |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const { name, result } of rows) {
  console.log(`| ${name} | ${result.rps} | ${result.p50} | ${result.p99} | ${ratio(result.rps, base.rps)} | ${ratio(result.p99, base.p99)} | ${result.non2xx + result.errors} |`)
}
