/**
 * When the pinned target can't serve (stopped, unhealthy, ejected, removed),
 * the request goes to another target without an error and the cookie is
 * re-issued for the new one.
 */
import t, { type Test } from 'tap'
import { startBackends, type TestBackend } from '../helpers/backend.js'
import type { TestGateway } from '../helpers/gateway.js'
import type { Pool } from '../../plugins/pools/index.js'
import { cookiePair, get, startStickyGateway } from '../helpers/sticky.js'
import type { Target } from '../../plugins/pools/target.js'

async function setup (t: Test): Promise<{ backends: TestBackend[], gw: TestGateway, cookie: string, pinned: TestBackend, pool: Pool }> {
  const backends = await startBackends(3)
  const gw = await startStickyGateway({
    pools: { api: { targets: backends.map((b) => b.url), retries: 2, sticky: { cookie: 'sy' } } },
    routes: [{ path: '/', pool: 'api' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const first = await get(`${gw.url}/`)
  const cookie = cookiePair(first, 'sy') as string
  const pinned = backends.find((b) => b.name === first.backend)
  if (pinned === undefined) throw new Error('no pinned backend')
  const pool = gw.app.switchyard.pools.get('api')
  if (pool === undefined) throw new Error('no pool')
  return { backends, gw, cookie, pinned, pool }
}

/** The new pin after a failover: 2xx from another backend, a new cookie that sticks to it. */
async function checkRepinned (t: Test, url: string, cookie: string, oldBackend: string): Promise<void> {
  const answer = await get(url, cookie)
  t.equal(answer.status, 200, '2xx, no error page')
  t.not(answer.backend, oldBackend, 'another backend answered')
  const fresh = cookiePair(answer, 'sy')
  t.ok(fresh, 'the cookie is re-issued')
  t.not(fresh, cookie)
  for (let i = 0; i < 5; i++) t.equal((await get(url, fresh)).backend, answer.backend, 'the new cookie sticks to the new backend')
}

t.test('pinned backend stopped → next request 2xx from another backend with a new cookie', async (t) => {
  const { gw, cookie, pinned, pool } = await setup(t)
  await pinned.stop()
  await checkRepinned(t, `${gw.url}/`, cookie, pinned.name)
  t.equal(pool.stickyCounters.repins, 1)
})

t.test('pinned target marked unhealthy → re-pinned elsewhere', async (t) => {
  const { gw, cookie, pinned, pool } = await setup(t)
  const target = pool.targets.find((x) => x.origin === pinned.url) as Target
  target.healthy = false
  const hitsBefore = pinned.hits
  await checkRepinned(t, `${gw.url}/`, cookie, pinned.name)
  t.equal(pinned.hits, hitsBefore, 'the unhealthy target was not tried')
})

t.test('pinned target ejected → re-pinned elsewhere; after the ejection the old cookie works again', async (t) => {
  const { gw, cookie, pinned, pool } = await setup(t)
  const target = pool.targets.find((x) => x.origin === pinned.url) as Target
  target.ejectedUntil = Date.now() + 60_000
  await checkRepinned(t, `${gw.url}/`, cookie, pinned.name)
  target.ejectedUntil = 0
  t.equal((await get(`${gw.url}/`, cookie)).backend, pinned.name, 'the old cookie still names a valid target')
})

t.test('pinned target removed from the pool → re-pinned elsewhere', async (t) => {
  const { gw, cookie, pinned, pool } = await setup(t)
  pool.updateTargets(pool.targets.filter((x) => x.origin !== pinned.url).map((x) => ({ url: x.origin, id: x.id, weight: x.weight })))
  await checkRepinned(t, `${gw.url}/`, cookie, pinned.name)
  t.equal(pool.stickyCounters.repins, 1)
})
