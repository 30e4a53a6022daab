/**
 * With 2 workers, an L4 pool's active `tcp` health checks run once per
 * interval per target (in the primary), not once per worker: the connects a
 * TCP backend receives over a window of several intervals are counted (the
 * backend serves no client here, so every connect is a probe).
 */
import t from 'tap'
import { writeConfigFile } from '../helpers/config-file.js'
import { startTcpBackend } from '../helpers/l4.js'
import { startCluster, killOnTeardown, sleep } from './cluster.js'

// Spawns a 2-worker cluster (3 processes under tsx): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

const INTERVAL_MS = 400

t.test('tcp health probes of an L4 pool arrive once per interval with 2 workers', async (t) => {
  const probes: number[] = []
  const backend = await startTcpBackend('db', (socket) => { probes.push(Date.now()); socket.end() })
  t.teardown(async () => { await backend.stop() })
  // A probe timeout well above the interval: a loaded machine must not make the target flap.
  const config = writeConfigFile({
    pools: { db: { targets: [backend.url], health: { type: 'tcp', intervalMs: INTERVAL_MS, timeoutMs: 2000 } } },
    tcp: [{ port: 0, pool: 'db' }]
  })
  const cluster = await startCluster({ GATEWAY_CONFIG: config })
  killOnTeardown(t, cluster)

  // Each interval is 90–100 % of INTERVAL_MS (jitter): one checker makes at most window / (0.9 × interval) + 1 probes.
  const windowMs = 4000
  const from = Date.now()
  await sleep(windowMs)
  const inWindow = probes.filter((at) => at >= from && at < from + windowMs).length
  const oneChecker = Math.floor(windowMs / (0.9 * INTERVAL_MS)) + 1
  t.ok(inWindow <= oneChecker, `${inWindow} probes in ${windowMs} ms: at most ${oneChecker} (one checker); a checker per worker would make ~${2 * Math.round(windowMs / INTERVAL_MS)}`)
  t.ok(inWindow >= 3, `${inWindow} probes in ${windowMs} ms: the target is checked`)
  // Two checkers (any phase) leave every other gap under half the period; one checker's gaps are 0.9–1 × the
  // interval, less what one late probe costs under load (one short gap).
  const gaps = probes.slice(1).map((at, i) => at - (probes[i] as number))
  const shortGaps = gaps.filter((gap) => gap < 0.45 * INTERVAL_MS).length
  t.ok(shortGaps <= 1, `${shortGaps} of ${gaps.length} gaps between probes under ${0.45 * INTERVAL_MS} ms (two checkers: about half)`)
})
