/**
 * Edge benchmark (issue 6): what TLS, HTTP/2 and compression cost in
 * throughput, as ratios to plain HTTP/1.1 through the same gateway, in one run.
 *
 * Load: `h2load` (Debian `nghttp2-client`) for every row, because autocannon
 * does not speak HTTP/2 and one tool for all rows keeps the ratios fair
 * (`--h1` for HTTP/1.1 rows). 50 connections, one request in flight each,
 * unless the row says otherwise. Body: 16 KiB of JSON from one backend.
 * Gateway pinned to CPU 1, backend to CPU 0 (with taskset); each load is
 * BENCH_DURATION_SEC (default 5) after a 1 s warm-up.
 *
 *   node --import tsx bench/edge.ts
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ratio } from './lib.js'
import { makeCertificate } from '../test/helpers/tls.js'

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const SERVER = fileURLToPath(new URL('./edge-server.ts', import.meta.url))
const HAS_TASKSET = spawnSync('taskset', ['--version']).status === 0
if (spawnSync('h2load', ['--version']).status !== 0) {
  process.stderr.write('bench/edge.ts needs h2load (Debian package nghttp2-client)\n')
  process.exit(2)
}

interface Child { port: number, child: ChildProcess }

async function start (args: string[], cpu: number): Promise<Child> {
  const node = [process.execPath, '--import', 'tsx', SERVER, ...args]
  const [cmd, ...argv] = HAS_TASKSET ? ['taskset', '-c', String(cpu), ...node] : node
  const child = spawn(cmd as string, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('server did not start in 20 s')), 20_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('READY '))
      if (line !== undefined) { clearTimeout(timer); resolve((JSON.parse(line.slice(6)) as { port: number }).port) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${String(code)}`)) })
  })
  return { port, child }
}

interface Row { name: string, rps: number, meanMs: number, mbps: number, failed: number }
const rows: Row[] = []

function h2load (name: string, url: string, opts: { h1?: boolean, clients?: number, streams?: number, headers?: string[] }): void {
  const args = ['-D', String(DURATION), '--warm-up-time=1', '-c', String(opts.clients ?? CONNECTIONS), '-m', String(opts.streams ?? 1), '-t', '1']
  if (opts.h1 === true) args.push('--h1')
  for (const h of opts.headers ?? []) args.push('-H', h)
  args.push(url)
  const run = spawnSync('h2load', args, { encoding: 'utf8', timeout: (DURATION + 30) * 1000 })
  const out = run.stdout ?? ''
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0)
  const mbps = Number(/req\/s, ([\d.]+)MB\/s/.exec(out)?.[1] ?? 0)
  const failed = Number(/(\d+) failed/.exec(out)?.[1] ?? 0) + Number(/(\d+) errored/.exec(out)?.[1] ?? 0)
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1] ?? '0'
  const meanMs = mean.endsWith('us') ? parseFloat(mean) / 1000 : mean.endsWith('ms') ? parseFloat(mean) : parseFloat(mean) * 1000
  const status2xx = Number(/status codes: (\d+) 2xx/.exec(out)?.[1] ?? 0)
  if (rps === 0 || status2xx === 0) process.stderr.write(`${name}: h2load said\n${out}${run.stderr ?? ''}\n`)
  rows.push({ name, rps: Math.round(rps), meanMs, mbps, failed })
  process.stderr.write(`${name}: ${Math.round(rps)} req/s, mean ${meanMs.toFixed(2)} ms, ${mbps} MB/s\n`)
}

const certificate = makeCertificate()
const backend = await start(['backend'], 0)
const upstream = `http://127.0.0.1:${backend.port}`
const children: Child[] = [backend]
try {
  const tlsEnv = { GATEWAY_TLS_CERT: certificate.certPath, GATEWAY_TLS_KEY: certificate.keyPath }
  const plain = await start(['gateway', JSON.stringify({ upstream })], 1)
  children.push(plain)
  const plainUrl = `http://127.0.0.1:${plain.port}/data`
  h2load('HTTP/1.1, identity', plainUrl, { h1: true })
  h2load('HTTP/1.1, gzip', plainUrl, { h1: true, headers: ['accept-encoding: gzip'] })
  h2load('HTTP/1.1, br', plainUrl, { h1: true, headers: ['accept-encoding: br'] })
  h2load('HTTP/1.1, deflate', plainUrl, { h1: true, headers: ['accept-encoding: deflate'] })
  plain.child.kill('SIGKILL')

  const off = await start(['gateway', JSON.stringify({ upstream, env: { GATEWAY_COMPRESSION: 'off', GATEWAY_SECURITY_HEADERS: 'off' } })], 1)
  children.push(off)
  h2load('HTTP/1.1, compression and helmet off', `http://127.0.0.1:${off.port}/data`, { h1: true, headers: ['accept-encoding: gzip'] })
  off.child.kill('SIGKILL')

  const tls = await start(['gateway', JSON.stringify({ upstream, env: tlsEnv })], 1)
  children.push(tls)
  const tlsUrl = `https://127.0.0.1:${tls.port}/data`
  h2load('HTTPS HTTP/1.1, identity', tlsUrl, { h1: true })
  h2load('HTTPS h2, identity (50 conns x 1 stream)', tlsUrl, {})
  h2load('HTTPS h2, identity (5 conns x 10 streams)', tlsUrl, { clients: 5, streams: 10 })
  h2load('HTTPS h2, br', tlsUrl, { headers: ['accept-encoding: br'] })
  tls.child.kill('SIGKILL')

  // Cache hits: identity, compressed with kept variants, compressed afresh on every hit.
  const cached = await start(['gateway', JSON.stringify({ upstream, env: { GATEWAY_CACHE: 'memory' } })], 1)
  children.push(cached)
  const cachedUrl = `http://127.0.0.1:${cached.port}/data`
  h2load('cache hit, identity', cachedUrl, { h1: true })
  h2load('cache hit, gzip (kept variant)', cachedUrl, { h1: true, headers: ['accept-encoding: gzip'] })
  h2load('cache hit, br (kept variant)', cachedUrl, { h1: true, headers: ['accept-encoding: br'] })
  cached.child.kill('SIGKILL')
  const recompress = await start(['gateway', JSON.stringify({ upstream, variants: false })], 1)
  children.push(recompress)
  const recompressUrl = `http://127.0.0.1:${recompress.port}/data`
  h2load('cache hit, identity (variants off)', recompressUrl, { h1: true })
  h2load('cache hit, gzip on every hit (variants off)', recompressUrl, { h1: true, headers: ['accept-encoding: gzip'] })
  h2load('cache hit, br on every hit (variants off)', recompressUrl, { h1: true, headers: ['accept-encoding: br'] })
} finally {
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL')
  certificate.remove()
}

const base = (rows.find((r) => r.name === 'HTTP/1.1, identity') as Row).rps
const hitBase = (rows.find((r) => r.name === 'cache hit, identity') as Row | undefined)?.rps ?? 0
console.log('\n| case | req/s | mean ms | MB/s (wire) | req/s vs HTTP/1.1 identity | vs cache hit identity | failed |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const r of rows) {
  console.log(`| ${r.name} | ${r.rps} | ${r.meanMs.toFixed(2)} | ${r.mbps} | ${ratio(r.rps, base)} | ${r.name.startsWith('cache hit') ? ratio(r.rps, hitBase) : ''} | ${r.failed} |`)
}
