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
 *   node --import tsx bench/limits.ts   (BENCH_DURATION_SEC, BENCH_ROUNDS, BENCH_CONNECTIONS)
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { rateLimits } from '../plugins/rate-limit/index.js'
import { load, measure, ratio, startServer, type LoadResult } from './lib.js'

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 3)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
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

// All gateways run side by side (idle but one); the cases are measured in turns,
// ROUNDS times, and each case's median is kept: background load then hits every case alike.
const gateways: Array<{ c: Case, url: string, stop: () => void }> = []
try {
  for (const c of cases) {
    const config = JSON.stringify({ pools: { bench: { targets } }, routes: [{ path: '/', pool: 'bench', ...c.route }] })
    const gateway = await startServer('switchyard', [config, JSON.stringify({ GATEWAY_COMPRESSION: 'off', ...c.env })], 1)
    gateways.push({ c, url: `http://127.0.0.1:${gateway.info.port as number}/1k`, stop: gateway.stop })
  }
  const results = new Map<string, LoadResult[]>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const { c, url } of gateways) {
      const options = { connections: CONNECTIONS, durationSec: DURATION, ...(c.headers !== undefined ? { headers: c.headers } : {}) }
      const result = round === 0 ? await measure(url, options) : await load(url, options)
      results.set(c.name, [...(results.get(c.name) ?? []), result])
      process.stderr.write(`round ${round + 1} ${c.name}: ${result.rps} req/s p99 ${result.p99} ms\n`)
    }
  }
  for (const { c } of gateways) rows.push({ name: c.name, result: median(results.get(c.name) ?? []) })
} finally {
  for (const gateway of gateways) gateway.stop()
  backends.stop()
}

function median (list: LoadResult[]): LoadResult {
  const sorted = [...list].sort((a, b) => a.rps - b.rps)
  return sorted[Math.floor(sorted.length / 2)] as LoadResult
}

const base = (rows[0] as { result: LoadResult }).result
console.log(`\nmedian of ${ROUNDS} turns of ${DURATION} s each\n`)
console.log('| case (1 KB responses) | req/s | p50 ms | p99 ms | req/s vs no limit | p99 vs no limit | non-2xx |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const { name, result } of rows) {
  console.log(`| ${name} | ${result.rps} | ${result.p50} | ${result.p99} | ${ratio(result.rps, base.rps)} | ${ratio(result.p99, base.p99)} | ${result.non2xx + result.errors} |`)
}

// The limiter hook alone, in this process (no network): its cost per request, to set
// against the per-request time of the no-limit gateway above.
const CALLS = 200_000
const app = Fastify()
await app.register(rateLimits, {})
const hook = app.switchyardRateLimits.createHook({ max: HUGE, windowMs: 60_000 }, 'bench')
await app.ready()
const request = { ip: '10.0.0.1', headers: {}, log: app.log, routeOptions: { config: {} } } as unknown as FastifyRequest
const reply = { header () { return this } } as unknown as FastifyReply
const call = async (): Promise<void> => { await new Promise<void>((resolve) => { hook.call(app, request, reply, () => { resolve() }) }) }
for (let i = 0; i < 20_000; i++) await call()
const started = process.hrtime.bigint()
for (let i = 0; i < CALLS; i++) await call()
const usPerCall = Number(process.hrtime.bigint() - started) / 1000 / CALLS
await app.close()
const usPerRequest = 1e6 / base.rps
console.log(`\nlimiter hook alone (memory store): ${usPerCall.toFixed(2)} µs per request, ` +
  `${(100 * usPerCall / usPerRequest).toFixed(1)}% of the no-limit gateway's ${usPerRequest.toFixed(0)} µs per request (1 CPU)`)
