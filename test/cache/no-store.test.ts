import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('no-store: neither a response nor a request marked no-store is stored', async (t) => {
  const backend = await scriptedBackend((req, hit) => ({ headers: { 'cache-control': req.url === '/r' ? 'no-store, max-age=3600' : 'max-age=3600' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  const first = await send(gateway.url, '/r')
  t.equal(first.headers['cache-status'], 'switchyard; fwd=miss; fwd-status=200; detail=no-store')
  await send(gateway.url, '/r')
  t.equal(backend.hitsByPath.get('/r'), 2)
  await send(gateway.url, '/q', { headers: { 'cache-control': 'no-store' } })
  await send(gateway.url, '/q')
  t.equal(backend.hitsByPath.get('/q'), 2, 'request no-store: the response was not stored')
})
