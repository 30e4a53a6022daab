/**
 * Cache benchmark (issue 5), measured in one run:
 *   - bare @fastify/http-proxy forwarding (one upstream, no cache),
 *   - Switchyard with GATEWAY_CACHE=memory answering hits (1 KB, 64 KB),
 * reported as req/s ratios (goal: hits ≥ 2.5× forwarding), and the gateway's
 * resident memory per cached MiB (RSS after storing N distinct 64 KB
 * entries, minus RSS before, over the MiB stored).
 *
 * The proxy under test is pinned to CPU 1, the backend to CPU 0 (when taskset
 * exists); autocannon runs in this process.
 *   node --import tsx bench/cache.ts
 */
import { readFileSync } from 'node:fs'
import { measure, ratio, startServer, type LoadResult } from './lib.js'

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const FILL_ENTRIES = Number(process.env.BENCH_CACHE_ENTRIES ?? 500)

function rssBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? '0'
  return Number(kb) * 1024
}

async function fill (base: string, count: number): Promise<void> {
  const batch = 20
  for (let i = 0; i < count; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
      const res = await fetch(`${base}/64k?fill=${i + j}`)
      await res.arrayBuffer()
    }))
  }
}

const backends = await startServer('backends', ['1'], 0)
const target = `http://127.0.0.1:${(backends.info.ports as number[])[0] as number}`
const rows: Array<{ name: string, size: string, result: LoadResult }> = []
let memoryLine = ''

try {
  const bare = await startServer('bare-proxy', [target], 1)
  for (const size of ['1k', '64k']) {
    const result = await measure(`http://127.0.0.1:${bare.info.port as number}/${size}`, { connections: CONNECTIONS, durationSec: DURATION })
    rows.push({ name: 'bare @fastify/http-proxy (forwarding)', size, result })
    process.stderr.write(`bare ${size}: ${result.rps} req/s\n`)
  }
  bare.stop()

  const config = JSON.stringify({ pools: { bench: { targets: [target] } }, routes: [{ path: '/', pool: 'bench' }] })
  const gateway = await startServer('switchyard', [config, JSON.stringify({ GATEWAY_CACHE: 'memory', GATEWAY_CACHE_MAX_BYTES: String(256 * 1024 * 1024) })], 1)
  const base = `http://127.0.0.1:${gateway.info.port as number}`
  for (const size of ['1k', '64k']) {
    const result = await measure(`${base}/${size}`, { connections: CONNECTIONS, durationSec: DURATION })
    rows.push({ name: 'switchyard cache hit (memory)', size, result })
    process.stderr.write(`hit ${size}: ${result.rps} req/s\n`)
  }
  const pid = gateway.child.pid as number
  await fill(base, 20) // warm the code paths before measuring
  await new Promise((resolve) => setTimeout(resolve, 500))
  const before = rssBytes(pid)
  await fill(base, FILL_ENTRIES)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const after = rssBytes(pid)
  const cachedMiB = (FILL_ENTRIES * 64 * 1024) / (1024 * 1024)
  memoryLine = `memory: ${FILL_ENTRIES} entries of 64 KiB = ${cachedMiB.toFixed(1)} MiB cached; RSS +${((after - before) / 1048576).toFixed(1)} MiB → ${((after - before) / 1048576 / cachedMiB).toFixed(2)} MiB RSS per cached MiB`
  gateway.stop()
} finally {
  backends.stop()
}

const baseline = (size: string): LoadResult => (rows.find((r) => r.name.startsWith('bare') && r.size === size) as { result: LoadResult }).result
console.log('\n| case | size | req/s | p50 ms | p99 ms | req/s vs bare forwarding | non-2xx |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const { name, size, result } of rows) {
  console.log(`| ${name} | ${size} | ${result.rps} | ${result.p50} | ${result.p99} | ${ratio(result.rps, baseline(size).rps)} | ${result.non2xx + result.errors} |`)
}
console.log('\n' + memoryLine)
