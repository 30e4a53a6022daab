/**
 * A route's `methods` is its method allow list: other methods get 405 with
 * `Allow` listing the permitted ones, and reach no backend.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('405 with Allow for a method outside the route\'s list', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [{ path: '/read', pool: 'p', methods: ['GET', 'HEAD'] }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const ok = await fetch(`${gw.url}/read/item`)
  await ok.text()
  t.equal(ok.status, 200, 'GET is allowed')
  for (const method of ['POST', 'DELETE', 'PUT']) {
    const res = await fetch(`${gw.url}/read/item`, { method, body: method === 'DELETE' ? null : 'x' })
    t.equal(res.status, 405, `${method} → 405`)
    t.equal(res.headers.get('allow'), 'GET, HEAD', 'Allow lists the permitted methods')
    t.match(await res.json(), { statusCode: 405, code: 'SWITCHYARD_METHOD_NOT_ALLOWED' })
  }
  const atPrefix = await fetch(`${gw.url}/read`, { method: 'POST', body: 'x' })
  await atPrefix.text()
  t.equal(atPrefix.status, 405, 'the bare prefix is covered too')
  t.equal(backend.hits, 1, 'refused methods reached no backend')
})
