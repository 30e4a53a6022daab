/**
 * Workers benchmark (GATEWAY_WORKERS): the bundled app (app.ts, LOG_LEVEL=warn,
 * one pool of three backends, 1 KB responses) with 1 worker (today's single
 * process, pinned to CPU 1) and with 2 workers (primary + workers on CPUs 0-1),
 * each also with a global rate limit that never trips
 * (GATEWAY_RATE_LIMIT_MAX=1e9), to see what counting in the primary over IPC
 * costs per limited request against the in-process store.
 *
 * Load: wrk, one thread, pinned to CPU 0 with the backends, so the load
 * generator gets less than a core. Every case runs ROUNDS times, interleaved,
 * medians reported. The CPU the proxy used is read from /proc/PID/stat of
 * the primary and each worker, so "req/s per proxy core" is requests per
 * second of proxy CPU time (1e6 / CPU µs per request): the figure that must
 * stay within 10 % of one worker's. It is given two ways: the ratio of the
 * medians, and the median of each round's ratio (the two cases of one round
 * ran minutes apart at most, so a machine whose load drifts moves both).
 *
 * The backends (BENCH_BACKENDS) are by default raw node:net servers writing
 * prepared responses (~9 µs of CPU per request): with node:http backends
 * (`node`, ~21 µs) the one backend process on CPU 0 is what limits the
 * 2-worker case, so neither worker is kept busy and each pays an idle
 * wake-up per read. nginx shows the same: with node:http backends its CPU
 * per request rose from 18 to 28-58 µs. The nginx cases (bench/lib.ts
 * startNginxProxy) measure how far this machine lets any
 * event-driven proxy's per-core rate hold. `node --import tsx bench/workers.ts`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpuMicros, median, processTree, startNginxProxy, startServer } from './lib.js'

const APP = fileURLToPath(new URL('../app.ts', import.meta.url))
const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)

interface Case { name: string, workers: number, cpus: string, rateLimit: boolean, nginx?: boolean }
const ALL_CASES: Case[] = [
  { name: '1 worker', workers: 1, cpus: '1', rateLimit: false },
  { name: '2 workers', workers: 2, cpus: '0,1', rateLimit: false },
  // Same CPU as the 1-worker case: what the cluster itself costs per request, apart from where it runs.
  { name: '2 workers, both on CPU 1', workers: 2, cpus: '1', rateLimit: false },
  { name: '1 worker + rate limit (local store)', workers: 1, cpus: '1', rateLimit: true },
  { name: '2 workers + rate limit (counted in the primary)', workers: 2, cpus: '0,1', rateLimit: true },
  // nginx the same way (one process; a master and 2 workers sharing the port by `reuseport`; upstream
  // keep-alive): how far the machine lets an event-driven proxy's per-core rate hold when one worker shares wrk's CPU.
  { name: 'nginx, 1 worker', workers: 1, cpus: '1', rateLimit: false, nginx: true },
  { name: 'nginx, 2 workers', workers: 2, cpus: '0,1', rateLimit: false, nginx: true }
]
/** BENCH_CASES: comma-separated case numbers (1-based) to run; default all. */
const CASES = process.env.BENCH_CASES === undefined ? ALL_CASES : process.env.BENCH_CASES.split(',').map((n) => ALL_CASES[Number(n) - 1] as Case)

interface Running { child: ChildProcess, port: number }
interface Sample { rps: number, p99: number, cpuPerReq: number, primaryCpuPerReq: number }

async function startApp (c: Case, configPath: string, port: number): Promise<Running> {
  if (c.nginx === true) return { child: (await startNginxProxy(targets, port, { workers: c.workers, cpus: c.cpus })).child, port }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    GATEWAY_ADMIN_PORT: '0',
    GATEWAY_CONFIG: configPath,
    GATEWAY_WORKERS: String(c.workers),
    ...(c.rateLimit ? { GATEWAY_RATE_LIMIT_MAX: '1000000000' } : {})
  }
  const child = spawn('taskset', ['-c', c.cpus, process.execPath, '--import', 'tsx', APP], { env, stdio: ['ignore', 'ignore', 'inherit'], detached: true })
  const deadline = Date.now() + 60_000
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/1k`).then((r) => r.ok, () => false)
    // Every worker must be up: a cluster answers on its first worker already.
    if (ok && processTree(child.pid as number).length >= (c.workers > 1 ? c.workers + 1 : 1)) break
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${c.name} did not start`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
  return { child, port }
}

function wrk (url: string, durationSec: number): { rps: number, p99: number } {
  const out = spawnSync('taskset', ['-c', '0', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${durationSec}s`, '--latency', url], { encoding: 'utf8', timeout: (durationSec + 30) * 1000 }).stdout
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)
  const p99Match = /99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const p99 = p99Match === null ? 0 : Number(p99Match[1]) * ({ us: 0.001, ms: 1, s: 1000 }[p99Match[2] as 'us' | 'ms' | 's'])
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)
  if (errors !== null) process.stderr.write(`  ${errors[0]}\n`)
  return { rps: Math.round(rps), p99: Math.round(p99 * 100) / 100 }
}

/** JIT warm-up by request count, not time: every worker must see WARM_UP_REQUESTS (a loaded machine serves few per second). */
const WARM_UP_REQUESTS = Number(process.env.BENCH_WARM_UP_REQUESTS ?? 20_000)
function warmUp (running: Running, workers: number): void {
  const deadline = Date.now() + 60_000
  let served = 0
  while (served < WARM_UP_REQUESTS * workers && Date.now() < deadline) served += wrk(`http://127.0.0.1:${running.port}/1k`, 2).rps * 2
}

function measure (running: Running): Sample {
  const pids = processTree(running.child.pid as number)
  const before = pids.map(cpuMicros)
  const { rps, p99 } = wrk(`http://127.0.0.1:${running.port}/1k`, DURATION)
  const spent = pids.map((pid, i) => cpuMicros(pid) - (before[i] as number))
  const requests = rps * DURATION
  const total = spent.reduce((a, b) => a + b, 0)
  return { rps, p99, cpuPerReq: requests > 0 ? total / requests : 0, primaryCpuPerReq: pids.length > 1 && requests > 0 ? (spent[0] as number) / requests : 0 }
}

/** BENCH_BACKENDS: `canned` (default: raw node:net, ~4 µs/req) or `node` (node:http, ~20 µs/req), on CPU 0 with wrk. */
const BACKENDS = process.env.BENCH_BACKENDS ?? 'canned'
const backends = await startServer(BACKENDS === 'node' ? 'backends' : 'canned-backends', ['3'], 0)
const targets = (backends.info.ports as number[]).map((p) => `http://127.0.0.1:${p}`)
const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-workers-'))
const configPath = join(dir, 'config.json')
writeFileSync(configPath, JSON.stringify({ pools: { bench: { targets } }, routes: [{ path: '/', pool: 'bench' }] }))
const samples = new Map<string, Sample[]>()
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = CASES.map((_, i) => CASES[(i + round) % CASES.length] as Case)
    for (const c of order) {
      const running = await startApp(c, configPath, 18_700 + round * 10 + ALL_CASES.indexOf(c))
      try {
        warmUp(running, c.workers)
        const sample = measure(running)
        samples.set(c.name, [...(samples.get(c.name) ?? []), sample])
        process.stderr.write(`round ${round + 1} ${c.name}: ${sample.rps} req/s, p99 ${sample.p99} ms, ${Math.round(sample.cpuPerReq)} µs CPU/req (primary ${sample.primaryCpuPerReq.toFixed(1)})\n`)
      } finally {
        // The whole process group: nginx's workers outlive a SIGKILLed master.
        process.kill(-(running.child.pid as number), 'SIGKILL')
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
  }
} finally {
  backends.stop()
}

const summary = (name: string): Sample => {
  const list = samples.get(name) ?? []
  return { rps: median(list.map((s) => s.rps)), p99: median(list.map((s) => s.p99)), cpuPerReq: median(list.map((s) => s.cpuPerReq)), primaryCpuPerReq: median(list.map((s) => s.primaryCpuPerReq)) }
}
const one = summary('1 worker')
const oneNginx = summary('nginx, 1 worker')
console.log(`\n${ROUNDS} interleaved rounds of ${DURATION} s, wrk -t1 -c${CONNECTIONS} on CPU 0 with the ${BACKENDS} backends; medians. 1 KB responses.`)
/** Per core against one worker's in the same round (the machine's load drifts between rounds), median over rounds. */
const pairedRatio = (name: string, baseName: string): string => {
  const list = samples.get(name) ?? []
  const baseList = samples.get(baseName) ?? []
  const ratios = list.flatMap((s, i) => { const b = baseList[i]; return b === undefined || s.cpuPerReq === 0 ? [] : [b.cpuPerReq / s.cpuPerReq] })
  return ratios.length === 0 ? 'n/a' : median(ratios).toFixed(2)
}
console.log('| case | req/s | p99 ms | proxy CPU µs/req (primary) | req/s per proxy core | per core vs 1 worker (of medians) | same-round, median |')
console.log('| --- | --: | --: | --: | --: | --: | --: |')
for (const c of CASES) {
  const s = summary(c.name)
  const perCore = s.cpuPerReq > 0 ? Math.round(1e6 / s.cpuPerReq) : 0
  const base = c.nginx === true ? oneNginx : one
  const onePerCore = base.cpuPerReq > 0 ? 1e6 / base.cpuPerReq : 0
  console.log(`| ${c.name} | ${s.rps} | ${s.p99} | ${s.cpuPerReq.toFixed(1)}${c.workers > 1 ? ` (${s.primaryCpuPerReq.toFixed(1)})` : ''} | ${perCore} | ${onePerCore > 0 ? (perCore / onePerCore).toFixed(2) : 'n/a'} | ${pairedRatio(c.name, c.nginx === true ? 'nginx, 1 worker' : '1 worker')} |`)
}
