/**
 * A target that active checks took out before a reload is still out right
 * after it, even when the reload changes the pool's health settings (a new
 * checker, whose first probe is far away): no request reaches it.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { waitUntil } from '../helpers/load.js'
import { adminAddress } from '../../plugins/admin/index.js'

t.test('unhealthy before the reload, still out after it', async (t) => {
  const a = await startBackend('a')
  const sick = await startBackend('sick', (req, res) => { req.resume(); res.statusCode = req.url === '/health' ? 503 : 200; res.end(JSON.stringify({ backend: 'sick' })) })
  const c = await startBackend('c')
  const health = { path: '/health', intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 1, healthyThreshold: 1 }
  const path = writeConfigFile({ pools: { app: { targets: [a.url, sick.url], health } }, routes: [{ path: '/', pool: 'app' }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: path })
  t.teardown(async () => { await gw.close(); for (const x of [a, sick, c]) await x.stop() })
  const pool = gw.app.switchyard.pools.get('app')
  const target = pool?.targets[1]
  await waitUntil('the sick target is out', () => target?.healthy === false)
  const reason = target?.reason

  const next = { pools: { app: { targets: [a.url, sick.url, c.url], health: { ...health, intervalMs: 60_000 }, retries: 1 } }, routes: [{ path: '/', pool: 'app' }, { path: '/c', pool: 'app' }] }
  const res = await fetch(`${adminAddress(gw.app)}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) })
  t.equal(res.status, 200)
  t.equal(pool?.targets[1], target, 'the same Target object')
  t.equal(target?.healthy, false, 'still unhealthy')
  t.equal(target?.reason, reason, 'with the reason it had')
  const sickHits = sick.hitsByPath.get('/x') ?? 0
  const seen = new Set<string>()
  for (let i = 0; i < 20; i++) seen.add(((await (await fetch(`${gw.url}/x`)).json()) as { backend: string }).backend)
  t.equal(sick.hitsByPath.get('/x') ?? 0, sickHits, 'no request reached it')
  t.ok(seen.has('a'), 'the healthy target serves')
  t.notOk(seen.has('sick'))
})
