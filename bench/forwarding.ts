/**
 * Forwarding benchmark (issue 2): 1 KB and 64 KB responses from a pool of
 * three backends, measured in one run for
 *   - direct to one backend,
 *   - bare @fastify/http-proxy (one upstream),
 *   - Switchyard with each balancer,
 * and reported as ratios to bare @fastify/http-proxy.
 *
 * The proxy under test is pinned to CPU 1, backends to CPU 0 (when taskset
 * exists); autocannon runs in this process. `npm run bench`.
 */
import { BALANCER_NAMES } from '../plugins/pools/balancers/balancer.js'
import { measure, ratio, startServer, type LoadResult } from './lib.js'

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const balancers = process.env.BENCH_BALANCERS?.split(',') ?? [...BALANCER_NAMES]

const backends = await startServer('backends', ['3'], 0)
const ports = backends.info.ports as number[]
const targets = ports.map((p) => `http://127.0.0.1:${p}`)
const rows: Array<{ name: string, size: string, result: LoadResult }> = []

async function run (name: string, base: string): Promise<void> {
  for (const size of ['1k', '64k']) {
    const result = await measure(`${base}/${size}`, { connections: CONNECTIONS, durationSec: DURATION })
    rows.push({ name, size, result })
    process.stderr.write(`${name} ${size}: ${result.rps} req/s p99 ${result.p99} ms\n`)
  }
}

try {
  await run('direct backend', targets[0] as string)
  const bare = await startServer('bare-proxy', [targets[0] as string], 1)
  await run('bare @fastify/http-proxy', `http://127.0.0.1:${bare.info.port as number}`)
  bare.stop()
  for (const balancer of balancers) {
    const config = JSON.stringify({ pools: { bench: { targets, balancer } }, routes: [{ path: '/', pool: 'bench' }] })
    const gateway = await startServer('switchyard', [config], 1)
    await run(`switchyard ${balancer}`, `http://127.0.0.1:${gateway.info.port as number}`)
    gateway.stop()
  }
} finally {
  backends.stop()
}

const baseline = (size: string): LoadResult => (rows.find((r) => r.name === 'bare @fastify/http-proxy' && r.size === size) as { result: LoadResult }).result
console.log('\n| case | size | req/s | p50 ms | p99 ms | req/s vs bare | p99 vs bare | non-2xx |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const { name, size, result } of rows) {
  const b = baseline(size)
  console.log(`| ${name} | ${size} | ${result.rps} | ${result.p50} | ${result.p99} | ${ratio(result.rps, b.rps)} | ${ratio(result.p99, b.p99)} | ${result.non2xx + result.errors} |`)
}
