import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('Authorization: not stored unless public, s-maxage or must-revalidate allow it', async (t) => {
  const backend = await scriptedBackend((req, hit) => ({ headers: { 'cache-control': req.url === '/public' ? 'public, max-age=3600' : 'max-age=3600' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  const auth = { authorization: 'Bearer abc' }
  const first = await send(gateway.url, '/plain', { headers: auth })
  t.match(first.headers['cache-status'], /detail=authorization/)
  await send(gateway.url, '/plain', { headers: auth })
  t.equal(backend.hitsByPath.get('/plain'), 2)
  await send(gateway.url, '/public', { headers: auth })
  const hit = await send(gateway.url, '/public', { headers: auth })
  t.match(hit.headers['cache-status'], /; hit/, 'public allows storing an authorized response')
  t.equal(backend.hitsByPath.get('/public'), 1)
})
