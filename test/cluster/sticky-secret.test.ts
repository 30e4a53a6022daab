/**
 * With 2 workers and no GATEWAY_STICKY_SECRET, the primary makes one random
 * secret and hands it to every worker: a sticky cookie issued by one worker
 * is honoured by the other.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { startCluster, getOnce, killOnTeardown } from './cluster.js'
import type { ClusterStatus } from '../../cluster/status-merge.js'

// Spawns 2-worker clusters (3 processes under tsx each): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

t.test('a sticky cookie from one worker is valid in the other', async (t) => {
  const backends = await startBackends(3)
  t.teardown(async () => { for (const b of backends) await b.stop() })
  const cluster = await startCluster({ GATEWAY_UPSTREAMS: backends.map((b) => b.url).join(','), GATEWAY_STICKY_COOKIE: 'sy' })
  killOnTeardown(t, cluster)
  t.match(cluster.app.stdout(), /GATEWAY_STICKY_SECRET is not set: the workers share a random key/, 'the primary warns once about the random key')

  const first = await getOnce(`${cluster.url}/pin`)
  const setCookie = first.headers['set-cookie']?.[0] ?? ''
  const cookie = setCookie.split(';')[0] as string
  t.match(cookie, /^sy=/, 'a sticky cookie was issued')
  const pinned = (JSON.parse(first.body.toString()) as { backend: string }).backend

  const seen = new Set<string>()
  let reissued = 0
  for (let i = 0; i < 8; i++) {
    const res = await getOnce(`${cluster.url}/pinned`, { cookie })
    seen.add((JSON.parse(res.body.toString()) as { backend: string }).backend)
    if (res.headers['set-cookie'] !== undefined) reissued++
  }
  t.same([...seen], [pinned], 'every request went to the pinned backend')
  t.equal(reissued, 0, 'no worker re-issued the cookie')
  t.same([...cluster.servedBy('/pinned')].sort(), [...cluster.workerPids].sort(), 'both workers served')
  const status = JSON.parse((await getOnce(`${cluster.adminUrl}/status`)).body.toString()) as ClusterStatus
  t.match(status.pools[0]?.sticky, { hits: 8, pins: 1, rejected: 0 }, 'sticky counters summed: 8 hits, nothing rejected')
})
