/**
 * With 2 workers, each target is health-checked once per interval (by the
 * primary), not once per worker; a result (down, back up) takes effect in
 * both workers, and a worker started later (a replacement) gets the current
 * state before it listens.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/config-file.js'
import { startCluster, getOnce, json, killOnTeardown, checkOneChecker, CLUSTER_START_TIMEOUT_MS } from './cluster.js'
import type { ClusterStatus } from '../../cluster/status-merge.js'

// Spawns 2-worker clusters (3 processes under tsx each): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

const INTERVAL_MS = 400

t.test('probes arrive once per interval and their result reaches every worker', async (t) => {
  let healthStatus = 200
  const probes: number[] = []
  const backend = await startBackend('a', (req, res) => {
    req.resume()
    if (req.url === '/health') {
      probes.push(Date.now())
      res.statusCode = healthStatus
      res.end('ok')
      return
    }
    res.end(JSON.stringify({ backend: 'a' }))
  })
  t.teardown(async () => { await backend.stop() })
  // A probe timeout well above the interval: a loaded machine must not make the target flap.
  const config = writeConfigFile({
    pools: { app: { targets: [backend.url], health: { path: '/health', intervalMs: INTERVAL_MS, timeoutMs: 2000, healthyThreshold: 2, unhealthyThreshold: 2 } } },
    routes: [{ path: '/', pool: 'app' }]
  })
  const cluster = await startCluster({ GATEWAY_CONFIG: config })
  killOnTeardown(t, cluster)

  await checkOneChecker(t, probes, INTERVAL_MS)

  // The primary marks the target down (2 failed probes): both workers stop forwarding (503, no target).
  healthStatus = 500
  await cluster.app.waitForLog(/target unhealthy/, 15_000)
  const down: number[] = []
  for (let i = 0; i < 6; i++) down.push((await getOnce(`${cluster.url}/down`)).status)
  t.same(down, Array(6).fill(503), 'every worker answers 503 once the primary saw the target fail')
  t.same([...cluster.servedBy('/down')].sort(), [...cluster.workerPids].sort(), 'both workers answered')
  t.equal(backend.hitsByPath.get('/down'), undefined, 'nothing was forwarded to the down target')
  const status = await json<ClusterStatus>(`${cluster.adminUrl}/status`)
  t.equal(status.pools[0]?.targets[0]?.condition, 'unhealthy', '/status shows the primary\'s health')

  // A replacement worker gets the current (down) state before it listens.
  const victim = cluster.workerPids[0] as number
  process.kill(victim, 'SIGKILL')
  const replacement = Number((await cluster.app.waitForLog(/^worker listening$/, CLUSTER_START_TIMEOUT_MS, (e) => !cluster.workerPids.includes(Number(e.workerPid)))).workerPid)
  const afterRestart: number[] = []
  for (let i = 0; i < 6; i++) afterRestart.push((await getOnce(`${cluster.url}/after-restart`)).status)
  t.same(afterRestart, Array(6).fill(503), 'the replacement worker knows the target is down')
  t.ok(cluster.servedBy('/after-restart').has(replacement), 'the replacement served some of them')

  // Back up: both workers forward again.
  healthStatus = 200
  await cluster.app.waitForLog(/target healthy/, 15_000)
  const up: number[] = []
  for (let i = 0; i < 6; i++) up.push((await getOnce(`${cluster.url}/up`)).status)
  t.same(up, Array(6).fill(200), 'every worker forwards again once the target is back')
  t.equal(backend.hitsByPath.get('/up'), 6)
})
