/**
 * Routes: the longest matching prefix wins, `stripPrefix`, `methods` (405
 * with Allow), and a gateway 404 when nothing matches.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('longest prefix wins; stripPrefix; methods; 404', async (t) => {
  const api = await startBackend('api')
  const v2 = await startBackend('v2')
  const site = await startBackend('site')
  const config = writeConfigFile({
    pools: { api: { targets: [api.url] }, v2: { targets: [v2.url] }, site: { targets: [site.url] } },
    routes: [
      { path: '/api', pool: 'api' },
      { path: '/api/v2', pool: 'v2', stripPrefix: true, methods: ['GET', 'HEAD'] },
      { path: '/', pool: 'site' }
    ]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); for (const b of [api, v2, site]) await b.stop() })

  const ask = async (path: string, init?: RequestInit): Promise<{ status: number, body: { backend?: string, url?: string, code?: string }, allow: string | null }> => {
    const res = await fetch(gw.url + path, init)
    return { status: res.status, body: await res.json() as { backend?: string, url?: string }, allow: res.headers.get('allow') }
  }
  t.match(await ask('/api/users?page=2'), { status: 200, body: { backend: 'api', url: '/api/users?page=2' } }, '/api keeps its prefix')
  t.match(await ask('/api'), { status: 200, body: { backend: 'api', url: '/api' } }, 'the bare prefix matches')
  t.match(await ask('/api/v2/users'), { status: 200, body: { backend: 'v2', url: '/users' } }, 'longer prefix wins and is stripped')
  t.match(await ask('/api/v2'), { status: 200, body: { backend: 'v2', url: '/' } }, 'stripped bare prefix → /')
  t.match(await ask('/api/v20/x'), { status: 200, body: { backend: 'api' } }, 'prefixes match whole path segments')
  t.match(await ask('/apix'), { status: 200, body: { backend: 'site' } }, '/apix is not under /api')
  t.match(await ask('/about'), { status: 200, body: { backend: 'site', url: '/about' } })
  const refused = await ask('/api/v2/users', { method: 'POST', body: 'x' })
  t.equal(refused.status, 405, 'method not in the route\'s list → 405')
  t.equal(refused.allow, 'GET, HEAD', 'Allow lists the route\'s methods')
  t.equal(v2.hits, 2, 'the refused POST never reached the backend')
})

t.test('no route at all → 404 JSON from the gateway', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({ pools: { p: { targets: [backend.url] } }, routes: [{ path: '/only', pool: 'p' }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const res = await fetch(`${gw.url}/elsewhere`)
  t.equal(res.status, 404)
  t.same(await res.json(), { statusCode: 404, code: 'SWITCHYARD_NO_ROUTE', error: 'Not Found', message: 'No route matches this request' })
  t.equal(backend.hits, 0)
})
