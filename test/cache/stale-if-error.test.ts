import t from 'tap'
import { cachedGateway, scriptedBackend, send, sleep } from '../helpers/cache.js'

t.test('stale-if-error: stale served when the backend answers 5xx or is down', async (t) => {
  let fail = false
  const backend = await scriptedBackend((_req, hit) => fail
    ? { status: 500, headers: { 'content-type': 'text/plain' }, body: 'broken' }
    : { headers: { 'cache-control': 'max-age=1, stale-if-error=3600', 'content-type': 'text/plain' }, body: `v${hit}` })
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/e')
  await sleep(2100)
  fail = true
  const on500 = await send(gateway.url, '/e')
  t.equal(on500.status, 200)
  t.equal(on500.body, 'v1')
  t.equal(on500.headers['content-type'], 'text/plain')
  t.match(on500.headers['cache-status'], /fwd=stale; fwd-status=500; ttl=-\d+; detail=stale-if-error/)
  await backend.stop()
  const down = await send(gateway.url, '/e')
  t.equal(down.status, 200, 'backend down: the stale page is still served')
  t.equal(down.body, 'v1')
  t.match(down.headers['cache-status'], /fwd-status=502; .*detail=stale-if-error/)
})

t.test('without stale-if-error a stale entry is not served on error (unless the route allows it)', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=1' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend, {}, { staleIfErrorSeconds: 3600 })
  const plain = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=1' }, body: `p${hit}` }))
  const strict = await cachedGateway(t, plain)
  await send(gateway.url, '/x')
  await send(strict.url, '/x')
  await sleep(2100)
  await backend.stop()
  await plain.stop()
  t.equal((await send(gateway.url, '/x')).body, 'v1', 'route staleIfErrorSeconds allows it')
  t.equal((await send(strict.url, '/x')).status, 502, 'default: the error goes through')
})
