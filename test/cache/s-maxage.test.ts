import t from 'tap'
import { cachedGateway, scriptedBackend, send, sleep } from '../helpers/cache.js'

t.test('s-maxage wins over max-age for a shared cache, and a stale s-maxage response is not served stale', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=0, s-maxage=2' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  t.equal((await send(gateway.url, '/a')).body, 'v1')
  const hit = await send(gateway.url, '/a')
  t.equal(hit.body, 'v1', 's-maxage=2 makes it fresh despite max-age=0')
  t.match(hit.headers['cache-status'], /; hit/)
  await sleep(3100)
  const stale = await send(gateway.url, '/a', { headers: { 'cache-control': 'max-stale=3600' } })
  t.equal(stale.body, 'v2', 's-maxage implies proxy-revalidate: max-stale does not apply')
  t.equal(backend.hits, 2)
})
