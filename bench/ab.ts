/**
 * A/B of two Switchyard builds on the forwarding hot path, made to hold on a
 * busy machine: both builds run at once, pinned together on CPU 1, each
 * loaded by its own wrk (on CPU 0, with the upstream) for the same seconds,
 * so whatever else the machine does hits both alike. Each round gives CPU µs
 * per request of each (from its /proc/PID/stat) and their ratio; the median
 * ratio over the rounds is the figure.
 *
 *   npm run build && cp -r dist /tmp/dist-before   (then change the code)
 *   npm run build && node --import tsx bench/ab.ts /tmp/dist-before [path=/1k] [rounds=9]
 *
 * BENCH_CONNECTIONS (default 25): wrk's connections for each build.
 *
 * A copy of dist/ outside the checkout needs `{"type":"module"}` in its
 * package.json and node_modules reachable (a symlink beside it).
 */
import { spawn } from 'node:child_process'
import { cpuMicros, median, startServer, type RunningServer } from './lib.js'

const [before = '', path = '/1k', roundsArg = '9'] = process.argv.slice(2)
if (before === '') {
  process.stderr.write('usage: bench/ab.ts <dist-before> [path] [rounds]\n')
  process.exit(2)
}
const ROUNDS = Number(roundsArg)
const SECONDS = 3
/** BENCH_IDLE_SEC: a quiet spell before each round (both idle alike), as servers in bench/forwarding.ts have between their turns. */
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SEC ?? 0)

/** wrk on CPU 0 for SECONDS; resolves with the requests it completed. */
async function wrk (url: string): Promise<number> {
  const child = spawn('taskset', ['-c', '0', 'wrk', '-t1', `-c${process.env.BENCH_CONNECTIONS ?? 25}`, `-d${SECONDS}s`, url], { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await new Promise((resolve) => child.once('exit', resolve))
  return Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
}

async function measure (server: RunningServer): Promise<() => Promise<number>> {
  const start = cpuMicros(server.child.pid)
  const done = wrk(`http://127.0.0.1:${server.info.port as number}${path}`)
  return async () => {
    const requests = await done
    return requests === 0 ? NaN : (cpuMicros(server.child.pid) - start) / requests
  }
}

const backends = await startServer('backends', ['1'], 0)
const target = `http://127.0.0.1:${(backends.info.ports as number[])[0] as number}`
const config = JSON.stringify({ pools: { bench: { targets: [target] } }, routes: [{ path: '/', pool: 'bench' }] })
const a = await startServer('switchyard', [config, JSON.stringify({ BENCH_DIST: before })], 1)
// BENCH_AFTER_DIST: another build as `after` instead of this checkout's dist/ (two variants against each other).
// BENCH_AFTER_ENV: JSON of gateway variables for `after` only (one setting's cost: the same build both sides).
const afterEnv = { ...(process.env.BENCH_AFTER_DIST === undefined ? {} : { BENCH_DIST: process.env.BENCH_AFTER_DIST }), ...JSON.parse(process.env.BENCH_AFTER_ENV ?? '{}') as Record<string, string> }
const b = await startServer('switchyard', [config, JSON.stringify(afterEnv)], 1)
try {
  for (const server of [a, b]) await wrk(`http://127.0.0.1:${server.info.port as number}${path}`)
  const ratios: number[] = []
  const cpuA: number[] = []
  const cpuB: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    if (IDLE_SECONDS > 0) await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000))
    const [endA, endB] = [await measure(a), await measure(b)]
    const [usA, usB] = [await endA(), await endB()]
    cpuA.push(usA)
    cpuB.push(usB)
    ratios.push(usB / usA)
    process.stdout.write(`round ${round + 1}: before ${usA.toFixed(1)} µs/req, after ${usB.toFixed(1)} µs/req, after/before ${(usB / usA).toFixed(3)}\n`)
  }
  process.stdout.write(`\n${path}: before ${median(cpuA).toFixed(1)} µs/req, after ${median(cpuB).toFixed(1)} µs/req; median ratio after/before ${median(ratios).toFixed(3)} over ${ROUNDS} rounds\n`)
} finally {
  a.stop()
  b.stop()
  backends.stop()
}
