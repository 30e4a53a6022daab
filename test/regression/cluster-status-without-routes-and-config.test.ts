/**
 * Regression: with 2 workers, the primary's `/status` had the pools and the
 * workers but none of what one process shows beside them: no `routes` (the
 * per-route counters), no top-level `configVersion`/`loadedAt`, no
 * `configuredRoutes`, no `cache`, no ETag (the status page polls with
 * If-None-Match). Now the routes are summed over the workers, the config
 * fields are those of the worker running the newest config, and an
 * unchanged document answers 304.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/config-file.js'
import { startCluster, getOnce, killOnTeardown } from '../cluster/cluster.js'
import type { ClusterStatus } from '../../cluster/status-merge.js'

// Spawns a 2-worker cluster (3 processes under tsx): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(180_000)

t.test('/status of a cluster: routes summed over the workers, config version and configured routes', async (t) => {
  const a = await startBackend('a')
  t.teardown(async () => { await a.stop() })
  const path = writeConfigFile({
    pools: { app: { targets: [a.url] } },
    routes: [{ path: '/api', pool: 'app', cache: true }, { path: '/', pool: 'app' }]
  })
  const cluster = await startCluster({ GATEWAY_CONFIG: path })
  killOnTeardown(t, cluster)

  const statuses: number[] = []
  for (let i = 0; i < 10; i++) statuses.push((await getOnce(`${cluster.url}/page-${i}`)).status)
  for (let i = 0; i < 4; i++) statuses.push((await getOnce(`${cluster.url}/api/item-${i}`)).status)
  t.same(statuses, Array(14).fill(200), '14 requests answered')
  t.same([...cluster.servedBy('/page-0'), ...cluster.servedBy('/page-1')].sort(), [...cluster.workerPids].sort(), 'both workers served')

  const first = await getOnce(`${cluster.adminUrl}/status`)
  const status = JSON.parse(first.body.toString()) as ClusterStatus
  const etag = first.headers.etag
  t.type(etag, 'string', 'an ETag, as one process gives, for the status page\'s polling')
  t.equal((await getOnce(`${cluster.adminUrl}/status`, { 'if-none-match': String(etag) })).status, 304, 'unchanged: 304')
  t.equal(status.configVersion, 1, 'configVersion at the top, as in one process')
  t.type(status.loadedAt, 'string', 'loadedAt at the top')
  t.same(status.configuredRoutes?.map((route) => [route.path, route.pool, route.cache]), [['/api', 'app', true], ['/', 'app', false]], 'the configured routes')
  const root = status.routes?.find((route) => route.prefix === '/')
  const api = status.routes?.find((route) => route.prefix === '/api')
  t.equal(root?.requests, 10, 'the / route counts the requests of both workers')
  t.equal(root?.responses['2xx'], 10, '10 2xx on /')
  t.equal(api?.requests, 4, 'the /api route counts its 4')
  t.equal(api?.cacheLookups, 4, 'every /api request looked the cache up, over both workers')
  t.equal(status.routes?.length, 2, 'each route once, not once per worker')
  t.same(status.cache, { store: 'memory' }, 'the cache section')
})
