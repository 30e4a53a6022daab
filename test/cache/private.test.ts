import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('private: a shared cache never stores a private response', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'private, max-age=3600' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  const first = await send(gateway.url, '/me')
  t.match(first.headers['cache-status'], /detail=private/)
  const second = await send(gateway.url, '/me')
  t.equal(second.body, 'v2')
  t.equal(backend.hits, 2)
})
