/**
 * Sticky-session benchmark (issue 4): what the sticky link costs per request.
 * One gateway process, three backends, 1 KB responses, two routes on the same
 * backends: `/off` (no sticky) and `/on` (sticky cookie). Measured in one run:
 *   - sticky off,
 *   - sticky on, every request carrying a valid cookie (verify + pin: the steady state),
 *   - sticky on, no cookie (balance + sign + Set-Cookie on every response: the worst case),
 * in interleaved rounds (BENCH_ROUNDS, default 3; the median run per case),
 * reported as requests/s and p99 ratios to "off".
 *
 * The gateway is pinned to CPU 1, backends to CPU 0 (when taskset exists).
 * `node --import tsx bench/sticky.ts` (BENCH_DURATION_SEC, BENCH_CONNECTIONS, BENCH_ROUNDS).
 */
import autocannon from 'autocannon'
import { measure, ratio, startServer, type LoadResult } from './lib.js'
import { StickyCookieCodec } from '../plugins/sticky/codec.js'
import { createCookieSerializer } from '../plugins/sticky/cookie.js'
import { readCookie } from '../lib/cookies.js'

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECRET = 'bench-sticky-secret-0123456789abcdef'

/** Like `measure`, each connection cycling through `cookies` (one request each). */
async function measureWithCookies (url: string, cookies: string[]): Promise<LoadResult> {
  const run = async (duration: number): Promise<LoadResult> => {
    const result = await autocannon({
      url,
      connections: CONNECTIONS,
      duration,
      pipelining: 1,
      requests: cookies.map((cookie) => ({ method: 'GET', headers: { cookie } }))
    })
    return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts }
  }
  await run(1)
  return await run(DURATION)
}

/** The run with the median requests/s. */
function median (results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.rps - b.rps)
  return sorted[Math.floor(sorted.length / 2)] as LoadResult
}

const backends = await startServer('backends', ['3'], 0)
const targets = (backends.info.ports as number[]).map((p) => `http://127.0.0.1:${p}`)
const rows: Array<{ name: string, result: LoadResult }> = []

try {
  const config = JSON.stringify({
    pools: { off: { targets }, on: { targets, sticky: { cookie: 'sy_bench' } } },
    routes: [{ path: '/off', pool: 'off', stripPrefix: true }, { path: '/on', pool: 'on', stripPrefix: true }]
  })
  const gateway = await startServer('switchyard', [config, JSON.stringify({ GATEWAY_STICKY_SECRET: SECRET })], 1)
  const base = `http://127.0.0.1:${gateway.info.port as number}`
  try {
    // One cookie per backend, so pinned users spread over the pool as cookie-less ones do.
    const cookies: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/on/1k`)
      await res.arrayBuffer()
      const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('sy_bench='))
      if (setCookie === undefined) throw new Error('the sticky route set no cookie')
      cookies.push(`lang=en; ${setCookie.slice(0, setCookie.indexOf(';'))}`)
    }

    const cases: Array<{ name: string, url: string, cookies?: string[] }> = [
      { name: 'sticky off', url: `${base}/off/1k` },
      { name: 'sticky on, valid cookies (pinned, 3 users)', url: `${base}/on/1k`, cookies },
      { name: 'sticky on, no cookie (new pin + Set-Cookie each)', url: `${base}/on/1k` }
    ]
    // Interleaved rounds, so that drift of a shared machine hits every case alike; median per case.
    const results = new Map<string, LoadResult[]>()
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const result = c.cookies === undefined
          ? await measure(c.url, { connections: CONNECTIONS, durationSec: DURATION })
          : await measureWithCookies(c.url, c.cookies)
        results.set(c.name, [...(results.get(c.name) ?? []), result])
        process.stderr.write(`round ${round + 1} ${c.name}: ${result.rps} req/s p99 ${result.p99} ms\n`)
      }
    }
    for (const c of cases) rows.push({ name: c.name, result: median(results.get(c.name) ?? []) })
  } finally {
    gateway.stop()
  }
} finally {
  backends.stop()
}

const baseline = (rows[0] as { result: LoadResult }).result
console.log('\n| case | req/s | p50 ms | p99 ms | req/s vs off | p99 vs off | non-2xx |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const { name, result } of rows) {
  console.log(`| ${name} | ${result.rps} | ${result.p50} | ${result.p99} | ${ratio(result.rps, baseline.rps)} | ${ratio(result.p99, baseline.p99)} | ${result.non2xx + result.errors} |`)
}

// The per-request CPU work of the link alone, in this process (no network noise).
const codec = new StickyCookieCodec({ secret: SECRET, binding: 'on\nsy_bench' })
const serialize = createCookieSerializer({ name: 'sy_bench', path: '/on' })
const value = codec.encode('3f2a9c01be77', Date.now())
const header = `lang=en; sy_bench=${value}; theme=dark`
const N = 100_000
const time = (fn: () => unknown): number => {
  for (let i = 0; i < 10_000; i++) fn()
  const start = process.hrtime.bigint()
  for (let i = 0; i < N; i++) fn()
  return Number(process.hrtime.bigint() - start) / N / 1000
}
const verify = time(() => codec.decode(readCookie(header, 'sy_bench') as string, Date.now()))
const issue = time(() => serialize(codec.encode('3f2a9c01be77', Date.now()), false))
console.log(`\nlink CPU per request: read + verify a cookie ${verify.toFixed(2)} µs; sign + serialise a new one ${issue.toFixed(2)} µs`)
