/**
 * With 2 workers, a worker killed with SIGKILL is replaced, and requests keep
 * succeeding: a client loop (each request on a new connection) sees no
 * failure once the replacement listens; before that, the other worker serves.
 * Bound: at most 2 requests fail: the one in flight on the killed worker
 * (the loop sends one at a time) and a connection the primary may hand it
 * before it sees the death; none after the replacement listens.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startCluster, getOnce, killOnTeardown, logEntries, CLUSTER_START_TIMEOUT_MS } from './cluster.js'

// Spawns 2-worker clusters (3 processes under tsx each): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

t.test('a worker killed with SIGKILL is replaced and requests keep succeeding', async (t) => {
  const backend = await startBackend('a')
  t.teardown(async () => { await backend.stop() })
  const cluster = await startCluster({ GATEWAY_UPSTREAMS: backend.url })
  killOnTeardown(t, cluster)

  const loopState = { stop: false }
  let replacedAt = Infinity
  const outcomes: Array<{ at: number, ok: boolean }> = []
  const loop = (async () => {
    const deadline = Date.now() + 60_000
    while (!loopState.stop && Date.now() < deadline) {
      // `at` is when the request was sent: one sent before the replacement may fail a moment after it listens.
      const sentAt = Date.now()
      const ok = await getOnce(`${cluster.url}/loop`).then((res) => res.status === 200, () => false)
      outcomes.push({ at: sentAt, ok })
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  while (outcomes.length < 10) await new Promise((resolve) => setTimeout(resolve, 20))

  const victim = cluster.workerPids[0] as number
  process.kill(victim, 'SIGKILL')
  const died = await cluster.app.waitForLog(/^worker died: replacing it$/, 15_000)
  t.equal(died.signal, 'SIGKILL', 'the primary saw the worker killed')
  const replacement = await cluster.app.waitForLog(/^worker listening$/, CLUSTER_START_TIMEOUT_MS, (e) => !cluster.workerPids.includes(Number(e.workerPid)))
  replacedAt = Number(replacement.time)
  // Keep the loop going after the replacement is up, long enough to cross both workers many times.
  const countAtReplacement = outcomes.length
  while (outcomes.length < countAtReplacement + 40) await new Promise((resolve) => setTimeout(resolve, 20))
  loopState.stop = true
  await loop

  const failures = outcomes.filter((o) => !o.ok)
  t.ok(failures.length <= 2, `${failures.length} of ${outcomes.length} requests failed (at most 2, see the header)`)
  t.equal(outcomes.filter((o) => o.at > replacedAt && !o.ok).length, 0, 'no request sent after the replacement listens fails')
  const pidsAfter = new Set(logEntries(cluster.app).filter((e) => e.msg === 'access' && e.path === '/loop' && Number(e.time) > replacedAt).map((e) => Number(e.pid)))
  t.ok(pidsAfter.has(Number(replacement.workerPid)), 'the replacement serves')
  t.notOk(pidsAfter.has(victim), 'the killed worker does not')
})
