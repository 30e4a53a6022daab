/**
 * With 2 workers, a rate limit is counted across both (in the primary, over
 * IPC): a 20/min limit lets exactly 20 of 30 requests through, each on a new
 * connection so that the requests alternate between the workers.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startCluster, getOnce, killOnTeardown } from './cluster.js'

// Spawns 2-worker clusters (3 processes under tsx each): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

t.test('a 20/min limit lets exactly 20 of 30 requests through across 2 workers', async (t) => {
  const backend = await startBackend('a')
  t.teardown(async () => { await backend.stop() })
  const cluster = await startCluster({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_RATE_LIMIT_MAX: '20', GATEWAY_RATE_LIMIT_WINDOW_MS: '60000' })
  killOnTeardown(t, cluster)
  t.equal(cluster.workerPids.length, 2, 'two workers listen')

  const statuses: number[] = []
  for (let i = 0; i < 30; i++) statuses.push((await getOnce(`${cluster.url}/limited`)).status)
  t.equal(statuses.filter((s) => s === 200).length, 20, '20 passed')
  t.equal(statuses.filter((s) => s === 429).length, 10, '10 limited')
  t.same(statuses.slice(0, 20), Array(20).fill(200), 'the first 20 passed, in order')
  t.equal(backend.hitsByPath.get('/limited'), 20, 'the backend saw 20')
  t.same([...cluster.servedBy('/limited')].sort(), [...cluster.workerPids].sort(), 'both workers served and limited')
})
