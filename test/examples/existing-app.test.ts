/**
 * The plugin-user example: the app's own routes keep working (including its
 * JSON body parser) beside a proxied, balanced /api.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { urlOf } from '../helpers/gateway.js'
import { buildExistingApp } from '../../examples/existing-app.js'

t.test('own routes and proxied routes side by side', async (t) => {
  const backends = await startBackends(2)
  const app = await buildExistingApp(backends.map((b) => b.url))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); for (const b of backends) await b.stop() })
  const url = urlOf(app)

  t.same(await (await fetch(`${url}/`)).json(), { service: 'my-app', hello: 'world' }, 'own GET route')
  const echo = await fetch(`${url}/echo`, { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } })
  t.same(await echo.json(), { youSent: { a: 1 } }, 'own POST route still parses JSON')

  const names = new Set<string>()
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${url}/api/items?i=${i}`, { method: 'POST', body: JSON.stringify({ i }), headers: { 'content-type': 'application/json' } })
    const body = await res.json() as { backend: string, url: string }
    t.equal(body.url, `/items?i=${i}`, 'prefix stripped, query kept')
    names.add(body.backend)
  }
  t.same([...names].sort(), ['b1', 'b2'], 'both upstreams served /api')
})
