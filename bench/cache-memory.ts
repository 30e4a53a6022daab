/**
 * Memory cache overhead (issue 10, item 11): RSS of the gateway after it has
 * cached N distinct URLs under a GATEWAY_CACHE_MAX_BYTES bound. Goal: RSS
 * stays within 1.5 × the bound plus the idle baseline, i.e. the store counts
 * what entries really cost (bodies, headers, keys, per-entry objects).
 *
 *   node --import tsx bench/cache-memory.ts
 *   BENCH_CACHE_URLS=100000 BENCH_CACHE_MAX_BYTES=67108864 BENCH_BODY=1k|64k
 *
 * The gateway runs in its own process (pinned to CPU 1 when taskset exists),
 * the backend on CPU 0, the requests come from this process (50 at a time).
 * RSS is read from /proc/PID/status: idle (after a warm-up), right after the
 * fill, and settled (after a pause).
 */
import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { startServer } from './lib.js'

const URLS = Number(process.env.BENCH_CACHE_URLS ?? 100_000)
const MAX_BYTES = Number(process.env.BENCH_CACHE_MAX_BYTES ?? 64 * 1024 * 1024)
const BODY = process.env.BENCH_BODY ?? '1k'
const CONCURRENCY = 50
const SETTLE_MS = 5000

function rssMiB (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? '0') / 1024
}

const agent = new Agent({ connections: CONCURRENCY })
async function fill (base: string, from: number, count: number): Promise<{ stored: number, other: number }> {
  let next = from
  let stored = 0
  let other = 0
  const end = from + count
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < end) {
      const i = next++
      const res = await request(`${base}/${BODY}?u=${i}`, { dispatcher: agent })
      await res.body.dump()
      if (String(res.headers['cache-status']).includes('stored')) stored++
      else other++
    }
  }))
  return { stored, other }
}

const backends = await startServer('backends', ['1'], 0)
const target = `http://127.0.0.1:${(backends.info.ports as number[])[0] as number}`
try {
  const config = JSON.stringify({ pools: { bench: { targets: [target] } }, routes: [{ path: '/', pool: 'bench' }] })
  const gateway = await startServer('switchyard', [config, JSON.stringify({ GATEWAY_CACHE: 'memory', GATEWAY_CACHE_MAX_BYTES: String(MAX_BYTES), GATEWAY_COMPRESSION: 'off' })], 1)
  const base = `http://127.0.0.1:${gateway.info.port as number}`
  const pid = gateway.child.pid as number
  await fill(base, -2000, 2000) // warm the code paths, then forget them
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const idle = rssMiB(pid)
  const started = performance.now()
  const { stored, other } = await fill(base, 0, URLS)
  const seconds = (performance.now() - started) / 1000
  const filled = rssMiB(pid)
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
  const settled = rssMiB(pid)
  const boundMiB = MAX_BYTES / 1048576
  const limit = idle + 1.5 * boundMiB
  console.log(`${URLS} distinct URLs (${BODY} bodies) in ${seconds.toFixed(1)} s, ${stored} stored, ${other} not; bound ${boundMiB.toFixed(0)} MiB`)
  console.log(`RSS: idle ${idle.toFixed(0)} MiB, after fill ${filled.toFixed(0)} MiB, settled ${settled.toFixed(0)} MiB; goal ≤ idle + 1.5 × bound = ${limit.toFixed(0)} MiB → ${settled <= limit ? 'within' : 'OVER'}`)
  gateway.stop()
} finally {
  await agent.close()
  backends.stop()
}
