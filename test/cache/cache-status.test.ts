import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('Cache-Status on every response of a cached route', async (t) => {
  const backend = await scriptedBackend((req, hit) => ({ headers: { 'cache-control': 'max-age=3600', 'cache-status': 'origin-cache; hit' }, body: `${String(req.method)}${hit}` }))
  const gateway = await cachedGateway(t, backend)
  const miss = await send(gateway.url, '/cs')
  t.equal(miss.headers['cache-status'], 'origin-cache; hit, switchyard; fwd=miss; fwd-status=200; ttl=3600; stored', 'appended after the upstream member')
  t.match((await send(gateway.url, '/cs')).headers['cache-status'], /^switchyard; hit; ttl=\d+$/)
  t.equal((await send(gateway.url, '/other', { method: 'OPTIONS' })).headers['cache-status'], 'origin-cache; hit, switchyard; fwd=method')
  t.match((await send(gateway.url, '/cs', { headers: { range: 'bytes=0-1' } })).headers['cache-status'], /^switchyard; hit; ttl=\d+$/, 'a single range is served from the stored response')
  t.equal((await send(gateway.url, '/cs', { headers: { range: 'bytes=0-0, 2-2' } })).headers['cache-status'], 'origin-cache; hit, switchyard; fwd=bypass', 'several ranges are forwarded')
  t.match((await send(gateway.url, '/cs', { method: 'PUT', body: 'x' })).headers['cache-status'], /^origin-cache; hit, switchyard; fwd=method/)
  await backend.stop()
  const down = await send(gateway.url, '/new')
  t.equal(down.status, 502)
  t.equal(down.headers['cache-status'], 'switchyard; fwd=miss', 'also on errors the gateway makes')
})

t.test('routes with cache: false carry no Cache-Status', async (t) => {
  const backend = await scriptedBackend(() => ({ headers: { 'cache-control': 'max-age=3600' }, body: 'x' }))
  const gateway = await cachedGateway(t, backend, { GATEWAY_CACHE: 'memory' }, false)
  await send(gateway.url, '/a')
  const second = await send(gateway.url, '/a')
  t.equal(second.headers['cache-status'], undefined)
  t.equal(backend.hits, 2)
})
