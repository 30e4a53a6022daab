/**
 * Layer 4 TCP benchmark: Switchyard's `tcp` listener against nginx `stream`
 * (Debian `nginx` + `libnginx-mod-stream`) and HAProxy `mode tcp` (Debian
 * `haproxy`), in one run:
 * - bulk: MB/s over 4 connections, each reading what the upstream writes as
 *   fast as it can;
 * - connections/s: short exchanges (connect, 5 bytes each way, close) from 32
 *   concurrent loops.
 * Each proxy runs alone, single-threaded, pinned to core 1 (`taskset -c 1`);
 * this process (load) and the upstream child run on core 0. Rounds are
 * interleaved (every proxy once per round), figures are medians over the
 * rounds, and CPU per connection / per MB comes from the proxy's
 * /proc/PID/stat. "core 0 µs/MB" is the CPU the load generator and the upstream
 * spent per MB: while it stays well under 1e6 / (MB/s), core 0 is not what limits.
 * Reference rows: `node pipe` is a 20-line bare Node proxy (`socket.pipe` both
 * ways, the floor of a stream-based Node pump); with `BENCH_L4_BEFORE=<checkout>`
 * (a directory with another version's app.ts and node_modules) a
 * `switchyard before` row runs that version in the same rounds.
 * `BENCH_L4_ONLY=switchyard,nginx` runs only the rows named.
 * Run: `node --import tsx bench/l4.ts [rounds] [seconds]` (defaults 5 and 3).
 * Bounded: rounds × proxies × 2 runs of `seconds` each.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpuMicros, median } from './lib.js'

const ROUNDS = Number(process.argv[2] ?? 5)
const SECONDS = Number(process.argv[3] ?? 3)
const BULK_CONNECTIONS = 4
const RATE_CONCURRENCY = 32
const HAS_TASKSET = spawnSync('taskset', ['--version']).status === 0
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so'
const APP = fileURLToPath(new URL('../app.ts', import.meta.url))
const BEFORE = process.env.BENCH_L4_BEFORE

interface Proxy {
  name: string
  port: number
  child: ChildProcess
}

function pinned (cpu: number, cmd: string, args: string[]): [string, string[]] {
  return HAS_TASKSET ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

async function waitForPort (port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`)
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' })
      socket.on('connect', () => { socket.destroy(); resolve(true) })
      socket.on('error', () => { resolve(false) })
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${name} did not listen on ${port} in 20 s`)
}

/** The upstream (child on core 0): `bulk` port writes 64 KiB chunks forever; `rate` port answers 5 bytes and ends. */
const UPSTREAM_SOURCE = `
const net = require('node:net')
const chunk = Buffer.alloc(65536, 120)
const bulk = net.createServer((s) => { s.on('error', () => {}); const pump = () => { while (s.write(chunk)); }; s.on('drain', pump); pump() })
const rate = net.createServer((s) => { s.on('error', () => {}); s.once('data', () => { s.end('pong\\n') }) })
bulk.listen(Number(process.argv[1]), '127.0.0.1', () => rate.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('READY')))
`

async function startUpstream (bulkPort: number, ratePort: number): Promise<ChildProcess> {
  const [cmd, args] = pinned(0, process.execPath, ['-e', UPSTREAM_SOURCE, String(bulkPort), String(ratePort)])
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  await waitForPort(ratePort, child, 'upstream')
  return child
}

async function startSwitchyard (listenBulk: number, listenRate: number, bulkPort: number, ratePort: number, app = APP, name = 'switchyard'): Promise<Proxy[]> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-l4-'))
  const configPath = join(dir, 'gateway.json')
  writeFileSync(configPath, JSON.stringify({
    pools: { bulk: { targets: [`tcp://127.0.0.1:${bulkPort}`] }, rate: { targets: [`tcp://127.0.0.1:${ratePort}`] } },
    tcp: [{ port: listenBulk, pool: 'bulk' }, { port: listenRate, pool: 'rate' }]
  }))
  const [cmd, args] = pinned(1, process.execPath, ['--import', 'tsx', app])
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, GATEWAY_CONFIG: configPath, HOST: '127.0.0.1', PORT: String(await freePort()), GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'warn' }
  })
  await waitForPort(listenRate, child, name)
  return [{ name, port: listenBulk, child }, { name, port: listenRate, child }]
}

/** The reference floor: a bare Node proxy, `socket.pipe` both ways with half-close, nothing else. */
const NODE_PIPE_SOURCE = `
const net = require('node:net')
const [listenBulk, listenRate, bulkPort, ratePort] = process.argv.slice(1).map(Number)
const proxy = (to) => (client) => {
  const upstream = net.connect({ port: to, host: '127.0.0.1', allowHalfOpen: true, noDelay: true })
  const done = () => { client.destroy(); upstream.destroy() }
  client.on('error', done); upstream.on('error', done); client.on('close', done); upstream.on('close', done)
  upstream.on('connect', () => { client.pipe(upstream); upstream.pipe(client); client.resume() })
}
const options = { allowHalfOpen: true, pauseOnConnect: true, noDelay: true }
net.createServer(options, proxy(bulkPort)).listen(listenBulk, '127.0.0.1')
net.createServer(options, proxy(ratePort)).listen(listenRate, '127.0.0.1')
`

async function startNodePipe (listenBulk: number, listenRate: number, bulkPort: number, ratePort: number): Promise<Proxy[]> {
  const [cmd, args] = pinned(1, process.execPath, ['-e', NODE_PIPE_SOURCE, String(listenBulk), String(listenRate), String(bulkPort), String(ratePort)])
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  await waitForPort(listenRate, child, 'node pipe')
  return [{ name: 'node pipe', port: listenBulk, child }, { name: 'node pipe', port: listenRate, child }]
}

async function startNginx (listenBulk: number, listenRate: number, bulkPort: number, ratePort: number): Promise<Proxy[]> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-nginx-'))
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, [
    existsSync(STREAM_MODULE) ? `load_module ${STREAM_MODULE};` : '',
    'daemon off; master_process off; worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')}; error_log stderr error;`,
    'events { worker_connections 8192; }',
    'stream {',
    `  server { listen 127.0.0.1:${listenBulk}; proxy_pass 127.0.0.1:${bulkPort}; }`,
    `  server { listen 127.0.0.1:${listenRate}; proxy_pass 127.0.0.1:${ratePort}; }`,
    '}'
  ].join('\n'))
  const [cmd, args] = pinned(1, 'nginx', ['-c', conf, '-p', dir])
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  await waitForPort(listenRate, child, 'nginx')
  return [{ name: 'nginx', port: listenBulk, child }, { name: 'nginx', port: listenRate, child }]
}

async function startHaproxy (listenBulk: number, listenRate: number, bulkPort: number, ratePort: number): Promise<Proxy[]> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-haproxy-'))
  const conf = join(dir, 'haproxy.cfg')
  writeFileSync(conf, [
    'global', '  maxconn 8192', '  nbthread 1',
    'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 60s', '  timeout server 60s',
    'listen bulk', `  bind 127.0.0.1:${listenBulk}`, `  server s1 127.0.0.1:${bulkPort}`,
    'listen rate', `  bind 127.0.0.1:${listenRate}`, `  server s1 127.0.0.1:${ratePort}`
  ].join('\n') + '\n')
  const [cmd, args] = pinned(1, 'haproxy', ['-db', '-f', conf])
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  await waitForPort(listenRate, child, 'haproxy')
  return [{ name: 'haproxy', port: listenBulk, child }, { name: 'haproxy', port: listenRate, child }]
}

/** Bytes/s read over `BULK_CONNECTIONS` connections for `seconds`. */
async function bulk (port: number, seconds: number): Promise<number> {
  let bytes = 0
  const sockets: Socket[] = []
  await Promise.all(Array.from({ length: BULK_CONNECTIONS }, async () => {
    const socket = connect({ port, host: '127.0.0.1' })
    sockets.push(socket)
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('connect', resolve))
  }))
  const started = process.hrtime.bigint()
  for (const socket of sockets) socket.on('data', (chunk: Buffer) => { bytes += chunk.length })
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  const total = bytes
  for (const socket of sockets) socket.destroy()
  return total / elapsed
}

/** Completed short exchanges per second from `RATE_CONCURRENCY` loops for `seconds`, and the failures. */
async function rate (port: number, seconds: number): Promise<{ perSecond: number, failures: number, done: number }> {
  let done = 0
  let failures = 0
  const until = Date.now() + seconds * 1000
  const one = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' })
      let got = 0
      socket.on('connect', () => { socket.write('ping\n') })
      socket.on('data', (chunk: Buffer) => { got += chunk.length })
      socket.on('error', () => { failures++; resolve() })
      socket.on('close', () => { if (got > 0) done++; else failures++; resolve() })
    })
  }
  const started = Date.now()
  await Promise.all(Array.from({ length: RATE_CONCURRENCY }, async () => { while (Date.now() < until) await one() }))
  return { perSecond: done / ((Date.now() - started) / 1000), failures, done }
}

async function main (): Promise<void> {
  if (HAS_TASKSET) spawnSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' })
  const [bulkPort, ratePort] = [await freePort(), await freePort()]
  const upstream = await startUpstream(bulkPort, ratePort)
  const starters: Record<string, typeof startNginx> = { switchyard: startSwitchyard }
  if (BEFORE !== undefined) {
    const app = join(BEFORE, 'app.ts')
    starters['switchyard before'] = async (a, b, c, d) => await startSwitchyard(a, b, c, d, app, 'switchyard before')
  }
  Object.assign(starters, { nginx: startNginx, haproxy: startHaproxy, 'node pipe': startNodePipe })
  // BENCH_L4_ONLY=switchyard,nginx runs those rows only.
  const only = process.env.BENCH_L4_ONLY?.split(',')
  if (only !== undefined) for (const name of Object.keys(starters)) if (!only.includes(name)) Reflect.deleteProperty(starters, name)
  const results = new Map<string, { mbps: number[], cps: number[], cpuPerMb: number[], cpuPerConn: number[], core0PerMb: number[], failures: number }>()
  const loadAtStart = loadavg()
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, start] of Object.entries(starters)) {
        const [bulkProxy, rateProxy] = await start(await freePort(), await freePort(), bulkPort, ratePort) as [Proxy, Proxy]
        const pid = bulkProxy.child.pid
        try {
          await bulk(bulkProxy.port, 1) // warm-up
          let before = cpuMicros(pid)
          const core0Before = cpuMicros(upstream.pid) + cpuMicros(process.pid)
          const bytesPerSecond = await bulk(bulkProxy.port, SECONDS)
          const bulkCpu = cpuMicros(pid) - before
          const core0Cpu = cpuMicros(upstream.pid) + cpuMicros(process.pid) - core0Before
          await rate(rateProxy.port, 1) // warm-up
          before = cpuMicros(pid)
          const exchanges = await rate(rateProxy.port, SECONDS)
          const rateCpu = cpuMicros(pid) - before
          const entry = results.get(name) ?? { mbps: [], cps: [], cpuPerMb: [], cpuPerConn: [], core0PerMb: [], failures: 0 }
          const mb = bytesPerSecond * SECONDS / 1e6
          entry.mbps.push(bytesPerSecond / 1e6)
          entry.cps.push(exchanges.perSecond)
          entry.cpuPerMb.push(mb > 0 ? bulkCpu / mb : 0)
          entry.core0PerMb.push(mb > 0 ? core0Cpu / mb : 0)
          entry.cpuPerConn.push(exchanges.done > 0 ? rateCpu / exchanges.done : 0)
          entry.failures += exchanges.failures
          results.set(name, entry)
          process.stderr.write(`round ${round + 1} ${name}: ${(bytesPerSecond / 1e6).toFixed(0)} MB/s (${(mb > 0 ? bulkCpu / mb : 0).toFixed(0)} µs/MB), ${exchanges.perSecond.toFixed(0)} conn/s\n`)
        } finally {
          bulkProxy.child.kill('SIGKILL')
          await new Promise((resolve) => setTimeout(resolve, 300))
        }
      }
    }
  } finally {
    upstream.kill('SIGKILL')
  }
  const nginx = results.get('nginx')
  const ratio = (value: number, of: number[] | undefined): string => (of === undefined ? '-' : (value / median(of)).toFixed(2)).padStart(8)
  const load = (values: number[]): string => values.map((v) => v.toFixed(2)).join(' ')
  console.log(`\nL4 TCP, medians of ${ROUNDS} interleaved rounds of ${SECONDS} s; proxy alone on core 1${HAS_TASKSET ? '' : ' (taskset missing: NOT pinned)'}, load generator and upstream on core 0`)
  console.log(`load average at start ${load(loadAtStart)}, at end ${load(loadavg())} (2 cores: above ~2, other work shares the cores and MB/s and conn/s are low; CPU per MB and per connection hold better)`)
  console.log('proxy              bulk MB/s  vs nginx  CPU µs/MB  vs nginx  core 0 µs/MB  conn/s  vs nginx  CPU µs/conn  failed')
  for (const [name, r] of results) {
    const mbps = median(r.mbps)
    const cps = median(r.cps)
    const cpuPerMb = median(r.cpuPerMb)
    // CPU per MB against nginx's: above 1 means cheaper than nginx.
    const cpuVsNginx = nginx === undefined ? '-'.padStart(8) : (median(nginx.cpuPerMb) / cpuPerMb).toFixed(2).padStart(8)
    console.log(`${name.padEnd(18)} ${mbps.toFixed(0).padStart(9)}  ${ratio(mbps, nginx?.mbps)}  ${cpuPerMb.toFixed(0).padStart(9)}  ${cpuVsNginx}  ${median(r.core0PerMb).toFixed(0).padStart(12)}  ${cps.toFixed(0).padStart(6)}  ${ratio(cps, nginx?.cps)}  ${median(r.cpuPerConn).toFixed(0).padStart(11)}  ${r.failures}`)
  }
  console.log('CPU µs/MB "vs nginx" is nginx\'s CPU per MB over the row\'s: the throughput ratio the proxy would reach if CPU-bound on its core.')
}

await main()
