/**
 * Forwarding benchmark: the proxy pinned alone on CPU 1 (`taskset -c 1`),
 * wrk and the upstream on CPU 0, interleaved rounds, medians, and CPU µs per
 * request read from the proxy's own /proc/PID/stat. Cases, each in the same
 * run as its baselines:
 *   - `1k`, `64k`: bare @fastify/http-proxy, a 10-line node:http pipe proxy,
 *     nginx (one process, `proxy_pass` with upstream keep-alive, when Debian's
 *     nginx is installed: the machine's scale, next to the figures),
 *     Switchyard (bundled app defaults: security headers and compression on,
 *     LOG_LEVEL=warn), and Switchyard with LOG_LEVEL=info (an access line per
 *     request);
 *   - `64k-text` with `Accept-Encoding: gzip, br` on a compressible body:
 *     Switchyard compressing each response, Switchyard with the memory cache
 *     (hits served from the kept compressed variant), and the identity
 *     response for reference.
 *
 *   npm run build && npm run bench   (BENCH_ROUNDS=5 BENCH_DURATION_SEC=5 BENCH_CONNECTIONS=50;
 *                                    BENCH_ONLY=bare,lean,switchyard for a quick A/B of those;
 *                                    BENCH_AGED=1: measured after one full GC in each server)
 */
import { spawnSync } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { cpuMicros, median, ratio, startNginxProxy, startServer, type RunningServer } from './lib.js'

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
/** `BENCH_ONLY=bare,switchyard`: only these servers, and no compression cases (a quick A/B). */
const ONLY = process.env.BENCH_ONLY?.split(',')
/** `BENCH_BASE_DIST=/tmp/dist-before`: also run that build of Switchyard (`base`; name it in BENCH_ONLY). */
const BASE_DIST = process.env.BENCH_BASE_DIST
/** `BENCH_AGED=1`: one full collection in every server after the warm-up (see bench/servers.ts). */
const AGED = process.env.BENCH_AGED === '1'
const HAS_NGINX = spawnSync('nginx', ['-v']).status === 0
const DEFAULT_ORDER = ['bare', 'pipe', ...(HAS_NGINX ? ['nginx'] : []), 'lean', ...(BASE_DIST === undefined ? [] : ['base']), 'switchyard', 'switchyard info']
const LABELS: Record<string, string> = {
  base: `Switchyard from ${String(BASE_DIST)}`,
  bare: 'bare @fastify/http-proxy',
  pipe: 'node:http pipe proxy',
  nginx: 'nginx (1 process, upstream keep-alive)',
  lean: 'lean dispatch (Fastify + hijack + undici raw handler, nothing else)',
  switchyard: 'Switchyard (defaults, LOG_LEVEL=warn)',
  'switchyard info': 'Switchyard (LOG_LEVEL=info: access log)'
}
const HAS_TASKSET = spawnSync('taskset', ['--version']).status === 0

interface Sample { rps: number, p99: number, cpu: number, bad: number }
interface Case { name: string, path: string, headers?: string[] }

/** wrk on CPU 0, bounded by DURATION; returns req/s, p99 (ms) and non-2xx/errors. */
function wrk (url: string, headers: string[] = [], seconds = DURATION): Omit<Sample, 'cpu'> & { total: number } {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url]
  const [cmd, ...argv] = HAS_TASKSET ? ['taskset', '-c', '0', 'wrk', ...args] : ['wrk', ...args]
  const out = spawnSync(cmd as string, argv, { encoding: 'utf8', timeout: (seconds + 15) * 1000 }).stdout ?? ''
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const p99m = /99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const p99 = p99m === null ? 0 : Number(p99m[1]) * (p99m[2] === 'us' ? 0.001 : p99m[2] === 's' ? 1000 : 1)
  const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((a, b) => a + Number(b), 0) ?? 0)
  return { rps, p99, bad, total }
}

function run (server: RunningServer, c: Case): Sample {
  const url = `http://127.0.0.1:${server.info.port as number}${c.path}`
  const before = cpuMicros(server.child.pid)
  const result = wrk(url, c.headers)
  const spent = cpuMicros(server.child.pid) - before
  return { rps: result.rps, p99: result.p99, bad: result.bad, cpu: result.total > 0 ? spent / result.total : 0 }
}

/** A free loopback port (listened on and closed). */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

const backends = await startServer('backends', ['1'], 0)
const target = `http://127.0.0.1:${(backends.info.ports as number[])[0] as number}`
const config = (extra: Record<string, unknown> = {}): string => JSON.stringify({ pools: { bench: { targets: [target] } }, routes: [{ path: '/', pool: 'bench', ...extra }] })
const servers: Record<string, RunningServer> = {}
const samples = new Map<string, Sample[]>()
const record = (key: string, sample: Sample): void => { samples.set(key, [...(samples.get(key) ?? []), sample]) }
try {
  servers.bare = await startServer('bare-proxy', [target], 1)
  servers.pipe = await startServer('pipe-proxy', [target], 1)
  if (HAS_NGINX) servers.nginx = await startNginxProxy([target], await freePort(), { cpus: '1' })
  servers.lean = await startServer('lean-dispatch', [target], 1)
  servers.switchyard = await startServer('switchyard', [config()], 1)
  if (BASE_DIST !== undefined) servers.base = await startServer('switchyard', [config(), JSON.stringify({ BENCH_DIST: BASE_DIST })], 1)
  servers['switchyard info'] = await startServer('switchyard', [config(), JSON.stringify({ LOG_LEVEL: 'info' })], 1)
  servers['switchyard cached'] = await startServer('switchyard', [config({ cache: true })], 1)
  const plain: Case[] = [{ name: '1k', path: '/1k' }, { name: '64k', path: '/64k' }]
  const compressed: Case[] = [
    { name: '64k-text identity', path: '/64k-text' },
    { name: '64k-text gzip,br', path: '/64k-text', headers: ['Accept-Encoding: gzip, br'] }
  ]
  // Warm-up: JIT and keep-alive pools.
  for (const server of Object.values(servers)) wrk(`http://127.0.0.1:${server.info.port as number}/1k`, [], 1)
  if (AGED) {
    // Every server past its first major GC (a long-running process is; a short bench never gets there).
    // (nginx has no heap to age, and SIGWINCH means something else to it.)
    for (const [name, server] of Object.entries(servers)) if (name !== 'nginx') server.child.kill('SIGWINCH')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    for (const server of Object.values(servers)) wrk(`http://127.0.0.1:${server.info.port as number}/1k`, [], 1)
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = ONLY ?? DEFAULT_ORDER
    const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)]
    for (const c of plain) for (const name of rotated) record(`${name}|${c.name}`, run(servers[name] as RunningServer, c))
    for (const c of ONLY === undefined ? compressed : []) {
      record(`switchyard|${c.name}`, run(servers.switchyard as RunningServer, c))
      record(`switchyard cached|${c.name}`, run(servers['switchyard cached'] as RunningServer, c))
    }
  }
} finally {
  for (const server of Object.values(servers)) server.stop()
  backends.stop()
}

const summary = (key: string): Sample => {
  const list = samples.get(key) ?? []
  return { rps: median(list.map((s) => s.rps)), p99: median(list.map((s) => s.p99)), cpu: median(list.map((s) => s.cpu)), bad: list.reduce((a, s) => a + s.bad, 0) }
}
process.stdout.write(`\n${ROUNDS} interleaved rounds × ${DURATION} s, ${CONNECTIONS} connections, proxy pinned on CPU ${HAS_TASKSET ? '1 (wrk + upstream on 0)' : '(no taskset)'}; medians\n\n`)
process.stdout.write('| case | size | req/s | vs bare | p99 ms | CPU µs/req | non-2xx + errors |\n| --- | --- | --: | --: | --: | --: | --: |\n')
for (const size of ['1k', '64k']) {
  const bare = summary(`bare|${size}`)
  for (const name of ONLY ?? DEFAULT_ORDER) {
    const s = summary(`${name}|${size}`)
    const label = LABELS[name] ?? name
    process.stdout.write(`| ${label} | ${size} | ${s.rps.toFixed(0)} | ${ratio(s.rps, bare.rps)} | ${s.p99.toFixed(2)} | ${s.cpu.toFixed(1)} | ${s.bad} |\n`)
  }
}
if (ONLY !== undefined) process.exit(0)
const identity = summary('switchyard|64k-text identity')
for (const [name, label] of [['switchyard', 'forwarded'], ['switchyard cached', 'cache hit']] as const) {
  for (const c of ['64k-text identity', '64k-text gzip,br']) {
    const s = summary(`${name}|${c}`)
    process.stdout.write(`| Switchyard ${label}, ${c.slice(9)} | 64 KB text | ${s.rps.toFixed(0)} | ${ratio(s.rps, identity.rps)} of forwarded identity | ${s.p99.toFixed(2)} | ${s.cpu.toFixed(1)} | ${s.bad} |\n`)
  }
}
