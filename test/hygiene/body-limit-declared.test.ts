/**
 * A route's `bodyLimit` (default GATEWAY_BODY_LIMIT_BYTES): a declared
 * Content-Length over it is refused with 413 up front — nothing is forwarded;
 * the rest of the body is discarded for a short grace, then the connection is
 * closed if it has not ended.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/http.js'

t.test('Content-Length over the limit → 413 before forwarding', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [{ path: '/small', pool: 'p', bodyLimit: 1000 }, { path: '/', pool: 'p' }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_BODY_LIMIT_BYTES: '5000' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = Number(new URL(gw.url).port)

  const within = await fetch(`${gw.url}/small/upload`, { method: 'POST', body: 'a'.repeat(1000) })
  t.equal(within.status, 200, 'exactly the limit passes')
  t.equal((await within.json() as { method: string }).method, 'POST')

  const over = await rawRequest(port, `POST /small/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\nConnection: close\r\n\r\n${'a'.repeat(1001)}`, 3000)
  t.match(over, /^HTTP\/1\.1 413 /, 'one byte over → 413')
  t.match(JSON.parse(over.slice(over.indexOf('\r\n\r\n') + 4)), { statusCode: 413, code: 'SWITCHYARD_BODY_TOO_LARGE' })

  const started = Date.now()
  const declaredOnly = await rawRequest(port, 'POST /small/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n', 6000)
  t.match(declaredOnly, /^HTTP\/1\.1 413 /, 'refused on the declared length, without waiting for the body')
  const heldMs = Date.now() - started
  t.ok(heldMs < 5000, `a body that never comes is not waited for past the discard grace (closed after ${heldMs} ms)`)

  const defaultRoute = await fetch(`${gw.url}/other`, { method: 'POST', body: 'a'.repeat(4000) })
  await defaultRoute.text()
  t.equal(defaultRoute.status, 200, 'a route without bodyLimit uses GATEWAY_BODY_LIMIT_BYTES (5000): 4000 passes')
  const defaultOver = await fetch(`${gw.url}/other`, { method: 'POST', body: 'a'.repeat(6000) })
  await defaultOver.text()
  t.equal(defaultOver.status, 413, '… and 6000 does not')
  t.equal(backend.hitsByPath.get('/small/upload'), 1, 'only the request within the limit reached the backend')
  t.equal(backend.hitsByPath.get('/other'), 1)
})
