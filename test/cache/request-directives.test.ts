import t from 'tap'
import { cachedGateway, scriptedBackend, send, sleep } from '../helpers/cache.js'

t.test('request no-cache and max-age=0 force a forward; Pragma: no-cache too', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=3600' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/a')
  const noCache = await send(gateway.url, '/a', { headers: { 'cache-control': 'no-cache' } })
  t.equal(noCache.body, 'v2')
  t.match(noCache.headers['cache-status'], /fwd=request/)
  t.equal((await send(gateway.url, '/a', { headers: { 'cache-control': 'max-age=0' } })).body, 'v3')
  t.equal((await send(gateway.url, '/a', { headers: { pragma: 'no-cache' } })).body, 'v4')
  t.equal((await send(gateway.url, '/a')).body, 'v4', 'the forwarded responses refreshed the cache')
})

t.test('max-stale, min-fresh and only-if-cached', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=2' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  const miss = await send(gateway.url, '/b', { headers: { 'cache-control': 'only-if-cached' } })
  t.equal(miss.status, 504, 'only-if-cached with nothing stored → 504')
  t.equal(backend.hits, 0)
  await send(gateway.url, '/b')
  const cached = await send(gateway.url, '/b', { headers: { 'cache-control': 'only-if-cached' } })
  t.equal(cached.body, 'v1')
  const minFresh = await send(gateway.url, '/b', { headers: { 'cache-control': 'min-fresh=3600' } })
  t.equal(minFresh.body, 'v2', 'min-fresh beyond the remaining lifetime → forwarded')
  await sleep(3100)
  const stale = await send(gateway.url, '/b', { headers: { 'cache-control': 'max-stale=3600' } })
  t.equal(stale.body, 'v2', 'max-stale accepts the stale response')
  t.match(stale.headers['cache-status'], /; hit/)
  const tooStale = await send(gateway.url, '/b', { headers: { 'cache-control': 'max-stale=0' } })
  t.equal(tooStale.body, 'v3')
})
