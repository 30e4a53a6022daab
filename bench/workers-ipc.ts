/**
 * What a rate-limited request costs in cluster mode: the IPC round trip of
 * the workers' store (`cluster/rate-limit-store.ts` → the primary's
 * `RateLimitCounters` → back) against @fastify/rate-limit's in-process
 * LocalStore, on the real node:cluster channel. Reports the latency of one
 * round trip (sequential), the throughput with 50 in flight, and the CPU µs
 * per count in each process. `node --import tsx bench/workers-ipc.ts`.
 */
import cluster from 'node:cluster'
import { createRequire } from 'node:module'
import { cpuUsage } from 'node:process'
import { RateLimitClient, ipcRateLimitStore } from '../cluster/rate-limit-store.js'
import { RateLimitCounters } from '../cluster/rate-limit-counters.js'
import { processChannel, isSwitchyardMessage, type ToPrimary } from '../cluster/ipc.js'

const COUNT = Number(process.env.BENCH_IPC_COUNT ?? 20_000)
const IN_FLIGHT = 50
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

type Incr = (key: string, cb: (err: Error | null) => void, windowMs: number, max: number) => void

async function run (incr: Incr, inFlight: number): Promise<{ usPerOp: number, cpuUsPerOp: number }> {
  const cpuBefore = cpuUsage()
  const started = process.hrtime.bigint()
  let next = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < COUNT) {
      next++
      await new Promise<void>((resolve, reject) => { incr(`route|10.0.0.${next % 200}`, (err) => { if (err !== null) reject(err); else resolve() }, 60_000, 1e9) })
    }
  }))
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1000
  const cpu = cpuUsage(cpuBefore)
  return { usPerOp: elapsedUs / COUNT, cpuUsPerOp: (cpu.user + cpu.system) / COUNT }
}

if (cluster.isPrimary) {
  const counters = new RateLimitCounters()
  const worker = cluster.fork()
  cluster.on('message', (from, message: unknown) => {
    if (!isSwitchyardMessage(message)) return
    const m = message as ToPrimary
    if (m.type === 'switchyard:rate-limit-incr') {
      const { current, ttl } = counters.incr(m.key, m.windowMs, Date.now())
      from.send({ type: 'switchyard:rate-limit-count', id: m.id, current, ttl })
    } else if ((m.type as string) === 'switchyard:bench-cpu') {
      // The worker asks for the primary's CPU so far.
      const cpu = cpuUsage()
      from.send({ type: 'switchyard:bench-cpu', us: cpu.user + cpu.system })
    }
  })
  worker.on('exit', () => { process.exit(0) })
} else {
  const channel = processChannel()
  const client = new RateLimitClient(channel, 5000)
  const ipcStore = new (ipcRateLimitStore(client))({})
  const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as new (a: boolean, b: boolean, cache?: number) => { incr: Incr }
  const localStore = new LocalStore(false, false, 5000)
  const primaryCpu = async (): Promise<number> => await new Promise((resolve) => {
    const onMessage = (m: { type?: string, us?: number }): void => {
      if (m.type !== 'switchyard:bench-cpu') return
      process.off('message', onMessage)
      resolve(m.us as number)
    }
    process.on('message', onMessage)
    process.send?.({ type: 'switchyard:bench-cpu' })
  })
  const results = new Map<string, Array<{ usPerOp: number, cpuUsPerOp: number, primaryCpuUsPerOp: number }>>()
  const record = (name: string, r: { usPerOp: number, cpuUsPerOp: number }, primaryCpuUsPerOp = 0): void => {
    results.set(name, [...(results.get(name) ?? []), { ...r, primaryCpuUsPerOp }])
  }
  await run(ipcStore.incr.bind(ipcStore), IN_FLIGHT) // warm-up
  await run(localStore.incr.bind(localStore), 1)
  for (let round = 0; round < ROUNDS; round++) {
    record('local store, sequential', await run(localStore.incr.bind(localStore), 1))
    for (const inFlight of [1, IN_FLIGHT]) {
      const before = await primaryCpu()
      const r = await run(ipcStore.incr.bind(ipcStore), inFlight)
      record(`IPC store, ${inFlight === 1 ? 'sequential' : `${IN_FLIGHT} in flight`}`, r, ((await primaryCpu()) - before) / COUNT)
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  console.log(`\n${ROUNDS} rounds of ${COUNT} counts; medians.`)
  console.log('| store | µs per count (wall) | worker CPU µs/count | primary CPU µs/count |')
  console.log('| --- | --: | --: | --: |')
  for (const [name, list] of results) {
    console.log(`| ${name} | ${median(list.map((r) => r.usPerOp)).toFixed(2)} | ${median(list.map((r) => r.cpuUsPerOp)).toFixed(2)} | ${name.startsWith('IPC') ? median(list.map((r) => r.primaryCpuUsPerOp)).toFixed(2) : '—'} |`)
  }
  client.close()
  process.disconnect()
}
