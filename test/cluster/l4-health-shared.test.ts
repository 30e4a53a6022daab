/**
 * With 2 workers, an L4 pool's active `tcp` health checks run once per
 * interval per target (in the primary), not once per worker: the connects a
 * TCP backend receives over a window of several intervals are counted (the
 * backend serves no client here, so every connect is a probe).
 */
import t from 'tap'
import { writeConfigFile } from '../helpers/config-file.js'
import { startTcpBackend } from '../helpers/l4.js'
import { startCluster, killOnTeardown, checkOneChecker } from './cluster.js'

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

  await checkOneChecker(t, probes, INTERVAL_MS)
})
