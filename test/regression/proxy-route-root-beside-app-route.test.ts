/**
 * Regression: `proxyRoute` at `/` beside an app's own `GET /` threw
 * FST_ERR_DUPLICATED_ROUTE. Now the app's own routes win and the gateway
 * route is the fallback of everything else.
 */
import t from 'tap'
import Fastify from 'fastify'
import { pools } from '../../plugins/pools/index.js'
import { proxyRoute } from '../../routes/index.js'
import { startBackend } from '../helpers/backend.js'
import { urlOf } from '../helpers/gateway.js'

t.test("an app's own GET / and a proxyRoute at / live side by side", async (t) => {
  const backend = await startBackend('upstream')
  const app = Fastify()
  app.get('/', async () => ({ from: 'app' }))
  app.post('/echo', async (request) => ({ youSent: request.body }))
  await app.register(pools, { pools: { api: { targets: [backend.url] } } })
  await app.register(proxyRoute, { path: '/', pool: 'api' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); await backend.stop() })
  const url = urlOf(app)
  t.same(await (await fetch(`${url}/`)).json(), { from: 'app' }, 'GET / is the app’s')
  const echoed = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
  t.same(await echoed.json(), { youSent: { a: 1 } }, 'the app’s POST route still parses its body')
  const proxied = (await (await fetch(`${url}/anything/else`)).json()) as { backend: string, url: string }
  t.equal(proxied.backend, 'upstream', 'everything else goes to the pool')
  t.equal(proxied.url, '/anything/else')
  t.equal(backend.hits, 1, 'the backend saw only the proxied request')
})
