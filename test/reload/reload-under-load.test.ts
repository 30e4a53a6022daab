/**
 * A whole-config reload under steady load (8 clients looping GETs): it adds
 * a route (to a new pool) and changes a pool's targets; new requests follow
 * the new config at once, not one request fails, the removed target gets no
 * new request, the target that stays keeps its state, and the pool keeps its
 * connections (same Agent) since its connection options did not change.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { startLoad, waitUntil } from '../helpers/load.js'
import { adminAddress } from '../../plugins/admin/index.js'

t.test('adds a route and changes targets under load: 0 failures', async (t) => {
  const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map(async (name) => await startBackend(name)))
  if (a === undefined || b === undefined || c === undefined || d === undefined) throw new Error('backends')
  const before = { pools: { app: { targets: [a.url, b.url] } }, routes: [{ path: '/', pool: 'app' }] }
  const after = {
    pools: { app: { targets: [a.url, d.url] }, fresh: { targets: [c.url] } },
    routes: [{ path: '/', pool: 'app' }, { path: '/new', pool: 'fresh', stripPrefix: true }]
  }
  const path = writeConfigFile(before)
  const gw = await startAppGateway({ GATEWAY_CONFIG: path })
  t.teardown(async () => { await gw.close(); for (const x of [a, b, c, d]) await x.stop() })
  const admin = adminAddress(gw.app)
  const pool = gw.app.switchyard.pools.get('app')
  const agent = pool?.dispatcher.agent
  const targetA = pool?.targets[0]

  const load = startLoad([`${gw.url}/x`, `${gw.url}/new/x`], { clients: 8, maxMs: 30_000 })
  await waitUntil('load running', () => load.requests >= 200, 10_000)
  t.equal(c.hits, 0, 'before the reload /new goes to the / route')

  writeFileSync(path, JSON.stringify(after))
  const res = await fetch(`${admin}/config/reload`, { method: 'POST' })
  const body = await res.json() as Record<string, unknown>
  t.equal(res.status, 200, JSON.stringify(body))
  t.match(body, { configVersion: 2, pools: { added: ['fresh'], changed: ['app'], removed: [] }, routes: 'replaced' })
  const bHitsAtReload = b.hits
  const cHitsAtReload = c.hits
  const aHitsAtReload = a.hits
  await waitUntil('traffic after the reload', () => c.hits > cHitsAtReload + 50 && d.hits > 50, 10_000)
  const result = await load.stop()

  t.same(result.failures, [], `0 failures in ${result.requests} requests`)
  t.ok(result.requests > 400, `steady load (${result.requests} requests)`)
  t.ok(b.hits - bHitsAtReload <= 8, `the removed target took no new request (at most the 8 in flight at the swap: ${b.hits - bHitsAtReload})`)
  t.ok(a.hits > aHitsAtReload, 'the staying target still serves')
  t.equal(pool?.targets[0], targetA, 'and is the same Target object (its state kept)')
  t.ok((targetA?.requests ?? 0) > aHitsAtReload / 2, 'with its counters carried on')
  t.equal(pool?.dispatcher.agent, agent, 'same Agent: keep-alive connections kept')

  const status = await (await fetch(`${admin}/status`)).json() as { configVersion: number, loadedAt: string, routes: Array<{ prefix: string }> }
  t.equal(status.configVersion, 2)
  t.ok(Date.parse(status.loadedAt) > 0)
  t.same(status.routes.map((r) => r.prefix).sort(), ['/', '/new'])
  const metrics = await (await fetch(`${admin}/metrics`)).text()
  t.match(metrics, /switchyard_config_reloads_total\{result="applied"\} 1/)
  t.match(metrics, /switchyard_config_reloads_total\{result="refused"\} 0/)
})
