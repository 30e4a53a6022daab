/**
 * Forwarding benchmark (issue 2): 1 KB and 64 KB responses from a pool of
 * three backends, measured in one run for
 *   - direct to one backend,
 *   - bare @fastify/http-proxy (one upstream),
 *   - Switchyard (bundled app, default settings, LOG_LEVEL=warn) with each balancer,
 * reported as ratios to bare @fastify/http-proxy.
 *
 * This VM's throughput drifts by ±30 % from minute to minute, so every case
 * runs ROUNDS times, interleaved (bare and each balancer, in an order that
 * rotates every round), and the medians are compared. CPU µs per request of the proxy
 * process is reported too: it is the steadiest figure.
 *
 * Proxies are pinned to CPU 1, backends to CPU 0 (when taskset exists);
 * autocannon runs in this process. `npm run bench`.
 */
import { BALANCER_NAMES } from '../plugins/pools/balancers/balancer.js'
import { load, loadWithCpu, median, ratio, startServer, type RunningServer } from './lib.js'

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 3)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const balancers = process.env.BENCH_BALANCERS?.split(',') ?? [...BALANCER_NAMES]
const SIZES = ['1k', '64k']

interface Sample { rps: number, p99: number, cpu: number, bad: number }
const samples = new Map<string, Sample[]>()
const record = (name: string, size: string, sample: Sample): void => {
  const key = `${name}|${size}`
  samples.set(key, [...(samples.get(key) ?? []), sample])
}

const backends = await startServer('backends', ['3'], 0)
const targets = (backends.info.ports as number[]).map((p) => `http://127.0.0.1:${p}`)
const proxies: Array<{ name: string, server: RunningServer }> = []
try {
  proxies.push({ name: 'bare @fastify/http-proxy', server: await startServer('bare-proxy', [targets[0] as string], 1) })
  for (const balancer of balancers) {
    const config = JSON.stringify({ pools: { bench: { targets, balancer } }, routes: [{ path: '/', pool: 'bench' }] })
    proxies.push({ name: `switchyard ${balancer}`, server: await startServer('switchyard', [config], 1) })
  }
  for (const size of SIZES) {
    const direct = await load(`${targets[0] as string}/${size}`, { connections: CONNECTIONS, durationSec: DURATION })
    record('direct backend', size, { rps: direct.rps, p99: direct.p99, cpu: 0, bad: direct.non2xx + direct.errors })
  }
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order each round, so that no case always runs in the same place
    const order = proxies.map((_, i) => proxies[(i + round) % proxies.length] as typeof proxies[number])
    for (const { name, server } of order) {
      for (const size of SIZES) {
        const url = `http://127.0.0.1:${server.info.port as number}/${size}`
        if (round === 0) await load(url, { connections: CONNECTIONS, durationSec: 2 }) // warm-up (JIT)
        const r = await loadWithCpu(url, server.child.pid, { connections: CONNECTIONS, durationSec: DURATION })
        record(name, size, { rps: r.rps, p99: r.p99, cpu: r.cpuMicrosPerRequest, bad: r.non2xx + r.errors })
        process.stderr.write(`round ${round + 1} ${name} ${size}: ${r.rps} req/s p99 ${r.p99} ms ${r.cpuMicrosPerRequest} µs CPU/req\n`)
      }
    }
  }
} finally {
  for (const { server } of proxies) server.stop()
  backends.stop()
}

const summary = (name: string, size: string): Sample => {
  const list = samples.get(`${name}|${size}`) ?? []
  return { rps: median(list.map((s) => s.rps)), p99: median(list.map((s) => s.p99)), cpu: median(list.map((s) => s.cpu)), bad: list.reduce((n, s) => n + s.bad, 0) }
}
console.log(`\n${ROUNDS} interleaved rounds of ${DURATION} s, ${CONNECTIONS} connections; medians.`)
console.log('| case | size | req/s | p99 ms | CPU µs/req | req/s vs bare | p99 vs bare | CPU vs bare | non-2xx+errors |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const name of ['direct backend', ...proxies.map((p) => p.name)]) {
  for (const size of SIZES) {
    const s = summary(name, size)
    const b = summary('bare @fastify/http-proxy', size)
    console.log(`| ${name} | ${size} | ${s.rps} | ${s.p99} | ${s.cpu === 0 ? '—' : s.cpu} | ${ratio(s.rps, b.rps)} | ${ratio(s.p99, b.p99)} | ${s.cpu === 0 ? '—' : ratio(s.cpu, b.cpu)} | ${s.bad} |`)
  }
}
