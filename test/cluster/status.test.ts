/**
 * With 2 workers, the primary's admin `/status` and `/metrics` cover both:
 * request counts are summed over the workers, and other admin routes (drain)
 * act on every worker.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startCluster, getOnce, killOnTeardown } from './cluster.js'
import { getRaw } from '../helpers/get.js'
import type { ClusterStatus } from '../../cluster/status-merge.js'

// Spawns 2-worker clusters (3 processes under tsx each): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

t.test('/status and /metrics sum over both workers; drain reaches both', async (t) => {
  const a = await startBackend('a')
  const b = await startBackend('b')
  t.teardown(async () => { await a.stop(); await b.stop() })
  const cluster = await startCluster({ GATEWAY_UPSTREAMS: `${a.url},${b.url}`, GATEWAY_ADMIN_TOKEN: 'secret-admin-token' })
  killOnTeardown(t, cluster)
  const auth = { authorization: 'Bearer secret-admin-token' }

  const statuses: number[] = []
  for (let i = 0; i < 12; i++) statuses.push((await getOnce(`${cluster.url}/count`)).status)
  t.same(statuses, Array(12).fill(200), '12 requests forwarded')
  t.same([...cluster.servedBy('/count')].sort(), [...cluster.workerPids].sort(), 'both workers served')

  t.equal((await getOnce(`${cluster.adminUrl}/status`)).status, 401, 'the token is required')
  const status = JSON.parse((await getOnce(`${cluster.adminUrl}/status`, auth)).body.toString()) as ClusterStatus
  t.equal(status.workers.length, 2, 'two workers reported')
  t.ok(status.workers.every((w) => w.answered), 'both answered')
  const targets = status.pools[0]?.targets ?? []
  t.equal(targets.length, 2, 'both targets listed')
  t.equal(targets.reduce((sum, target) => sum + target.requests, 0), 12, 'requests summed over the workers')
  t.equal(a.hitsByPath.get('/count'), targets.find((target) => target.url === a.url)?.requests, 'target a\'s count matches what a saw')

  const metrics = (await getOnce(`${cluster.adminUrl}/metrics`, auth)).body.toString()
  const counts = [...metrics.matchAll(/^switchyard_target_requests_total\{[^}]*\} (\d+)$/gm)].map((m) => Number(m[1]))
  t.equal(counts.reduce((x, y) => x + y, 0), 12, '/metrics sums the workers\' counters')

  // Drain a by the primary's admin: it is forwarded to every worker.
  const id = targets.find((target) => target.url === a.url)?.id as string
  const drained = await getRaw(`${cluster.adminUrl}/targets/default/${id}/drain`, { ...auth, connection: 'close' }, 'POST')
  t.equal(drained.status, 200, 'drain answered')
  for (let i = 0; i < 8; i++) await getOnce(`${cluster.url}/after-drain`)
  t.equal(a.hitsByPath.get('/after-drain'), undefined, 'no worker sends to the drained target')
  t.equal(b.hitsByPath.get('/after-drain'), 8)
  const after = JSON.parse((await getOnce(`${cluster.adminUrl}/status`, auth)).body.toString()) as ClusterStatus
  t.equal(after.pools[0]?.targets.find((target) => target.id === id)?.condition, 'draining', '/status shows it draining')
  const forged = await getRaw(`${cluster.adminUrl}/targets/default/${id}/undrain`, { connection: 'close' }, 'POST')
  t.equal(forged.status, 401, 'forwarded routes need the token too')
})
