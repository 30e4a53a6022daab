/**
 * Failover benchmark (issue 3): latency and errors while one of three
 * backends dies under load. The bundled app (child process) fronts three
 * backends (one child process each); autocannon runs here for 5 s and one
 * backend is SIGKILLed 1.5 s in. Measured in one run for
 *   - baseline: nothing dies,
 *   - active checks only (interval 500 ms, unhealthy after 2),
 *   - active checks + outlier detection (eject after 5 failures in a row).
 * Reports req/s, p50/p99/max latency, non-2xx and errors, the time until
 * `/status` shows the dead target out of rotation, and latency per 250 ms
 * around the kill. `node --import tsx bench/failover.ts`
 */
import { createServer } from 'node:net'
import autocannon from 'autocannon'
import { startServer, type RunningServer } from './lib.js'

const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const KILL_AT_MS = 1500
const BUCKET_MS = 250

interface Bucket { count: number, non2xx: number, maxMs: number, sumMs: number }
interface Row { name: string, rps: number, p50: number, p99: number, max: number, non2xx: number, errors: number, detectedMs: number | undefined, buckets: Bucket[] }

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

async function scenario (name: string, pool: Record<string, unknown>, kill: boolean): Promise<Row> {
  const backends: RunningServer[] = []
  for (let i = 0; i < 3; i++) backends.push(await startServer('backends', ['1'], 0))
  const targets = backends.map((b) => `http://127.0.0.1:${(b.info.ports as number[])[0] as number}`)
  const adminPort = await freePort()
  const config = JSON.stringify({ pools: { bench: { targets, ...pool } }, routes: [{ path: '/', pool: 'bench' }] })
  const gateway = await startServer('switchyard', [config, JSON.stringify({ GATEWAY_ADMIN_PORT: String(adminPort) })], 1)
  const url = `http://127.0.0.1:${gateway.info.port as number}/1k`
  const buckets: Bucket[] = []
  let started = 0
  let detectedMs: number | undefined
  try {
    await autocannon({ url, connections: CONNECTIONS, duration: 1 }) // warm-up
    // Without a callback autocannon returns its instance (an event emitter) that is also a promise of the result.
    const instance = autocannon({ url, connections: CONNECTIONS, duration: DURATION_SEC }) as unknown as autocannon.Instance & Promise<autocannon.Result>
    started = Date.now()
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      const index = Math.floor((Date.now() - started) / BUCKET_MS)
      const bucket = buckets[index] ??= { count: 0, non2xx: 0, maxMs: 0, sumMs: 0 }
      bucket.count++
      bucket.sumMs += responseTime
      if (responseTime > bucket.maxMs) bucket.maxMs = responseTime
      if (statusCode < 200 || statusCode > 299) bucket.non2xx++
    })
    let watching: Promise<void> | undefined
    if (kill) {
      setTimeout(() => {
        const killedAt = Date.now()
        backends[1]?.stop()
        watching = (async () => {
          while (Date.now() - killedAt < 10_000) {
            const status = await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json() as { pools: Array<{ targets: Array<{ condition: string }> }> }
            if (status.pools[0]?.targets[1]?.condition !== 'healthy') { detectedMs = Date.now() - killedAt; return }
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        })()
      }, KILL_AT_MS).unref()
    }
    const result = await instance
    await watching
    process.stderr.write(`${name}: ${Math.round(result.requests.average)} req/s, non-2xx ${result.non2xx}, errors ${result.errors + result.timeouts}, detected ${String(detectedMs)} ms\n`)
    return {
      name,
      rps: Math.round(result.requests.average),
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      detectedMs,
      buckets
    }
  } finally {
    gateway.stop()
    for (const b of backends) b.stop()
  }
}

const health = { path: '/health', intervalMs: 500, timeoutMs: 250, healthyThreshold: 2, unhealthyThreshold: 2, expectStatus: '200-399' }
const outlier = { consecutiveFailures: 5, ejectionMs: 30_000, maxEjectionPercent: 50 }
const rows = [
  await scenario('baseline (no failure)', { health }, false),
  await scenario('kill 1 of 3: active checks only', { health }, true),
  await scenario('kill 1 of 3: active checks + outlier', { health, outlier }, true)
]

console.log(`\n${CONNECTIONS} connections, ${DURATION_SEC} s, backend SIGKILLed at ${KILL_AT_MS} ms\n`)
console.log('| case | req/s | p50 ms | p99 ms | max ms | non-2xx | errors | out of rotation after |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const r of rows) {
  console.log(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.max} | ${r.non2xx} | ${r.errors} | ${r.detectedMs === undefined ? '—' : `${r.detectedMs} ms`} |`)
}
const first = Math.floor(KILL_AT_MS / BUCKET_MS) - 2
console.log(`\nlatency per ${BUCKET_MS} ms window around the kill (mean / max ms, non-2xx):\n`)
console.log(`| case | ${Array.from({ length: 8 }, (_v, i) => `${(first + i) * BUCKET_MS - KILL_AT_MS} ms`).join(' | ')} |`)
console.log(`| --- | ${Array(8).fill('---').join(' | ')} |`)
for (const r of rows) {
  const cells = Array.from({ length: 8 }, (_v, i) => {
    const b = r.buckets[first + i]
    return b === undefined ? '—' : `${(b.sumMs / b.count).toFixed(1)} / ${Math.round(b.maxMs)}${b.non2xx > 0 ? ` (${b.non2xx})` : ''}`
  })
  console.log(`| ${r.name} | ${cells.join(' | ')} |`)
}
