/**
 * Memory cache overhead (issue 10, item 11): RSS of the gateway after it has
 * cached N distinct URLs under a GATEWAY_CACHE_MAX_BYTES bound. Goal: RSS
 * stays within 1.5 × the bound plus the idle baseline, i.e. the store counts
 * what entries really cost (bodies, headers, keys, per-entry objects).
 *
 *   node --import tsx bench/cache-memory.ts
 *   BENCH_CACHE_URLS=100000 BENCH_CACHE_MAX_BYTES=67108864 BENCH_BODY=1k|64k
 *   BENCH_ROUNDS=1 BENCH_CONTROL=1 BENCH_SETTLE_MS=5000
 *
 * The gateway runs in its own process (pinned to CPU 1 when taskset exists),
 * the backend on CPU 0, the requests come from this process (50 at a time).
 * RSS is read from /proc/PID/status: idle (after a warm-up), right after the
 * fill, and settled (after a pause). A control run sends the same load through
 * a gateway with a 1 MiB cache: its growth is what the traffic alone costs
 * (young generation, socket buffers, garbage not yet collected), so the two
 * together say how much of the growth is the cache's. At each point the gateway also reports
 * (on SIGUSR2, `bench/servers.ts`) its V8 heap, off-heap buffers and what the
 * store counts, so the table shows where the bytes are.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { startServer } from './lib.js'

const URLS = Number(process.env.BENCH_CACHE_URLS ?? 100_000)
const MAX_BYTES = Number(process.env.BENCH_CACHE_MAX_BYTES ?? 64 * 1024 * 1024)
const BODY = process.env.BENCH_BODY ?? '1k'
const CONCURRENCY = 50
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 5000)
const IDLE_MS = 4000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)
/** BENCH_CONTROL=0 skips the control run (same load, 1 MiB cache). */
const CONTROL = process.env.BENCH_CONTROL !== '0'

function rssMiB (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? '0') / 1024
}

const MiB = 1048576
const reportDir = mkdtempSync(join(tmpdir(), 'switchyard-cache-memory-'))
const reportFile = join(reportDir, 'memory.json')
process.env.BENCH_MEMORY_FILE = reportFile

interface MemoryReport { rss: number, heapTotal: number, heapUsed: number, external: number, arrayBuffers: number, cacheBytes?: number, cacheItems?: number }

/** The gateway's own view of its memory (it writes it on SIGUSR2). */
async function memoryReport (pid: number): Promise<MemoryReport> {
  rmSync(reportFile, { force: true })
  process.kill(pid, 'SIGUSR2')
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    try { return JSON.parse(readFileSync(reportFile, 'utf8')) as MemoryReport } catch {}
  }
  throw new Error('the gateway wrote no memory report')
}

function row (label: string, rss: number, m: MemoryReport): string {
  const f = (n: number): string => (n / MiB).toFixed(1).padStart(8)
  return `| ${label.padEnd(8)} | ${rss.toFixed(1).padStart(8)} | ${f(m.heapTotal)} | ${f(m.heapUsed)} | ${f(m.external)} | ${f(m.arrayBuffers)} | ${String(m.cacheItems ?? '-').padStart(7)} | ${f(m.cacheBytes ?? 0)} |`
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

interface Run { idle: number, filled: number, settled: number, reports: MemoryReport[], stored: number, other: number, seconds: number }

/** One gateway with this bound: warm it, fill it with URLS distinct URLs, let it settle; RSS and reports at each point. */
async function run (target: string, maxBytes: number): Promise<Run> {
  const config = JSON.stringify({ pools: { bench: { targets: [target] } }, routes: [{ path: '/', pool: 'bench' }] })
  const gateway = await startServer('switchyard', [config, JSON.stringify({ GATEWAY_CACHE: 'memory', GATEWAY_CACHE_MAX_BYTES: String(maxBytes), GATEWAY_COMPRESSION: 'off' })], 1)
  try {
    const base = `http://127.0.0.1:${gateway.info.port as number}`
    const pid = gateway.child.pid as number
    await fill(base, -2000, 2000) // warm the code paths
    // Idle: quiet long enough for the gateway's idle collector (lib/idle-collector.ts, 2 quiet seconds).
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
    const idle = rssMiB(pid)
    const reports = [await memoryReport(pid)]
    const started = performance.now()
    const { stored, other } = await fill(base, 0, URLS)
    const seconds = (performance.now() - started) / 1000
    const filled = rssMiB(pid)
    reports.push(await memoryReport(pid))
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
    const settled = rssMiB(pid)
    reports.push(await memoryReport(pid))
    if (process.env.BENCH_SMAPS !== undefined) console.log(execFileSync('python3', [process.env.BENCH_SMAPS, String(pid)]).toString())
    return { idle, filled, settled, reports, stored, other, seconds }
  } finally {
    gateway.stop()
  }
}

const backends = await startServer('backends', ['1'], 0)
const target = `http://127.0.0.1:${(backends.info.ports as number[])[0] as number}`
try {
  const boundMiB = MAX_BYTES / MiB
  const growth: { cache: number[], control: number[] } = { cache: [], control: [] }
  for (let round = 1; round <= ROUNDS; round++) {
    // The control: the same load through a gateway whose cache holds 1 MiB, i.e. what the traffic alone costs.
    const cases: Array<['cache' | 'control', number]> = CONTROL ? [['control', MiB], ['cache', MAX_BYTES]] : [['cache', MAX_BYTES]]
    for (const [name, bytes] of round % 2 === 0 ? cases.reverse() : cases) {
      const r = await run(target, bytes)
      growth[name].push(r.settled - r.idle)
      console.log(`round ${round}, ${name}: ${URLS} distinct URLs (${BODY} bodies) in ${r.seconds.toFixed(1)} s, ${r.stored} stored, ${r.other} not; bound ${(bytes / MiB).toFixed(0)} MiB`)
      console.log('| MiB      |      RSS |  V8 heap | heap used | external | arrayBuf | entries |  counted |')
      console.log('| -------- | -------- | -------- | -------- | -------- | -------- | ------- | -------- |')
      const labels = ['idle', 'filled', 'settled']
      const rss = [r.idle, r.filled, r.settled]
      for (let i = 0; i < 3; i++) console.log(row(labels[i] as string, rss[i] as number, r.reports[i] as MemoryReport))
      if (name === 'cache') {
        const limit = r.idle + 1.5 * boundMiB
        console.log(`RSS: idle ${r.idle.toFixed(0)} MiB, settled ${r.settled.toFixed(0)} MiB (+${(r.settled - r.idle).toFixed(0)}); goal ≤ idle + 1.5 × bound = ${limit.toFixed(0)} MiB → ${r.settled <= limit ? 'within' : 'OVER'}`)
      }
    }
  }
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2 }
  console.log(`\nsettled RSS over idle, median of ${ROUNDS}: cache ${median(growth.cache).toFixed(0)} MiB (goal ≤ ${(1.5 * boundMiB).toFixed(0)})` +
    (CONTROL ? `, control (1 MiB cache) ${median(growth.control).toFixed(0)} MiB` : ''))
} finally {
  await agent.close()
  backends.stop()
  rmSync(reportDir, { recursive: true, force: true })
}
