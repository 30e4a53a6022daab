/**
 * Benchmark helpers: child processes for servers (optionally pinned to a CPU
 * with taskset), nginx as the reference proxy, and autocannon runs, bounded
 * in time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const SERVERS = fileURLToPath(new URL('./servers.ts', import.meta.url))
const HAS_TASKSET = spawnSync('taskset', ['--version']).status === 0

export interface RunningServer {
  info: Record<string, unknown>
  child: ChildProcess
  stop: () => void
}

/** Start `bench/servers.ts <kind> …args` in a child, pinned to `cpu` when given. */
export async function startServer (kind: string, args: string[] = [], cpu?: number): Promise<RunningServer> {
  const node = [process.execPath, '--import', 'tsx', SERVERS, kind, ...args]
  const [cmd, ...argv] = HAS_TASKSET && cpu !== undefined ? ['taskset', '-c', String(cpu), ...node] : node
  const child = spawn(cmd as string, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${kind} did not start in 20 s`)), 20_000)
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('READY '))
      if (line !== undefined) {
        clearTimeout(timer)
        // What the server prints afterwards (access logs) is read and dropped.
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        resolve(JSON.parse(line.slice(6)) as Record<string, unknown>)
      }
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${kind} exited with ${String(code)}`)) })
  })
  return { info, child, stop: () => { child.kill('SIGKILL') } }
}

/** The pids of `pid` and its children (cluster workers, nginx workers). */
export function processTree (pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number)
    return [pid, ...children]
  } catch {
    return [pid]
  }
}

/**
 * nginx as an HTTP reverse proxy to `targets` (one upstream, keep-alive) on
 * 127.0.0.1:`port`, pinned to `cpus`. One worker is one process
 * (`master_process off`: its own pid is the CPU to read); more are a master
 * and `workers` processes sharing the port by `reuseport`. It runs in a
 * process group of its own, which `stop()` ends whole: nginx's workers
 * outlive a SIGKILLed master and keep the port. Ready once it answers `/1k`.
 */
export async function startNginxProxy (targets: string[], port: number, options: { workers?: number, cpus?: string } = {}): Promise<RunningServer> {
  const workers = options.workers ?? 1
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-nginx-'))
  writeFileSync(join(dir, 'nginx.conf'), [
    `daemon off; master_process ${workers > 1 ? 'on' : 'off'}; worker_processes ${workers};`,
    `pid ${join(dir, 'nginx.pid')}; error_log stderr error;`,
    'events { worker_connections 8192; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${join(dir, name)};`),
    `  upstream bench { ${targets.map((target) => `server ${new URL(target).host};`).join(' ')} keepalive 64; }`,
    `  server { listen 127.0.0.1:${port}${workers > 1 ? ' reuseport' : ''}; location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
    '}'
  ].join('\n'))
  const argv = ['nginx', '-c', join(dir, 'nginx.conf'), '-p', dir]
  const [cmd, ...args] = HAS_TASKSET && options.cpus !== undefined ? ['taskset', '-c', options.cpus, ...argv] : argv
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true })
  const stop = (): void => { try { process.kill(-(child.pid as number), 'SIGKILL') } catch {} }
  const deadline = Date.now() + 20_000
  while (!(await fetch(`http://127.0.0.1:${port}/1k`).then(async (res) => { await res.arrayBuffer(); return res.ok }, () => false)) ||
    processTree(child.pid as number).length < (workers > 1 ? workers + 1 : 1)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      stop()
      throw new Error('nginx did not start')
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { info: { port }, child, stop }
}

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

export interface LoadOptions {
  connections?: number
  durationSec?: number
  headers?: Record<string, string>
  method?: string
  body?: string
}

/** Run autocannon against `url` (bounded by `durationSec`) and summarise. */
export async function load (url: string, options: LoadOptions = {}): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections ?? 50,
    duration: options.durationSec ?? 5,
    pipelining: 1,
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
    ...(options.method !== undefined ? { method: options.method as 'GET' } : {}),
    ...(options.body !== undefined ? { body: options.body } : {})
  })
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts
  }
}

/** Warm up (1 s), then measure. */
export async function measure (url: string, options: LoadOptions = {}): Promise<LoadResult> {
  await load(url, { ...options, durationSec: 1 })
  return await load(url, options)
}

export function ratio (a: number, b: number): string {
  return b === 0 ? 'n/a' : (a / b).toFixed(2)
}

/** CPU time (user + system) a process has used so far, in µs (Linux /proc; 0 elsewhere). */
export function cpuMicros (pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000 // clock ticks of 10 ms
  } catch {
    return 0
  }
}

/** Like `load`, plus the CPU µs the server process spent per request during the run. */
export async function loadWithCpu (url: string, pid: number | undefined, options: LoadOptions = {}): Promise<LoadResult & { cpuMicrosPerRequest: number }> {
  const before = cpuMicros(pid)
  const result = await autocannon({
    url,
    connections: options.connections ?? 50,
    duration: options.durationSec ?? 5,
    pipelining: 1,
    ...(options.headers !== undefined ? { headers: options.headers } : {})
  })
  const spent = cpuMicros(pid) - before
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMicrosPerRequest: result.requests.total > 0 ? Math.round(spent / result.requests.total) : 0
  }
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}
