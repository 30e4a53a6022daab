/**
 * Regression: a PUT /config body whose pool changed family (http targets →
 * tcp ones), or whose route named a tcp pool, passed validation (the family
 * checks ran only when reading a file) and failed half-way through applying:
 * pools already reconfigured, the reload neither counted as refused nor
 * rolled back. Now both are refused in validation: 400 naming the field,
 * nothing changed.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('a pool changing family, or a route naming a tcp pool, is refused before anything changes', async (t) => {
  const [a, b] = [await startBackend('a'), await startBackend('b')]
  const good = { pools: { app: { targets: [a.url] }, other: { targets: [a.url] } }, routes: [{ path: '/', pool: 'app' }] }
  const gw = await startAppGateway({ GATEWAY_CONFIG: writeConfigFile(good) })
  t.teardown(async () => { await gw.close(); await a.stop(); await b.stop() })
  const reloader = gw.app.switchyardConfig

  // `other` would be reconfigured first (its targets change), then `app` could not be.
  const familyChange = { pools: { other: { targets: [b.url] }, app: { targets: ['tcp://127.0.0.1:5432'] } }, routes: [] }
  await t.rejects(reloader.replace(familyChange), { field: 'config.pools.app.targets', message: /must stay http targets/ })
  const routeOnTcp = { pools: { ...good.pools, db: { targets: ['tcp://127.0.0.1:5432'] } }, routes: [{ path: '/', pool: 'db' }] }
  await t.rejects(reloader.replace(routeOnTcp), { field: 'config.routes.0.pool', message: /"db" is a tcp pool: an HTTP route needs http\(s\) targets/ })

  t.equal(reloader.failedReloads, 2, 'both counted as refused')
  t.equal(reloader.version, 1, 'no new version')
  t.same(gw.app.switchyard.pools.get('other')?.targets.map((x) => x.origin), [a.url], 'no pool was reconfigured')
  t.same(gw.app.switchyard.pools.names(), ['app', 'other'])
  const res = await fetch(`${gw.url}/x`)
  t.equal(((await res.json()) as { backend: string }).backend, 'a', 'the old config serves')
})
