import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('a successful unsafe request invalidates its URI and same-host Location/Content-Location', async (t) => {
  const backend = await scriptedBackend((req, hit) => {
    if (req.method === 'POST') return { status: 201, headers: { location: '/items/2', 'content-location': '/items/3' } }
    if (req.method === 'DELETE') return { status: 500 }
    return { headers: { 'cache-control': 'max-age=3600' }, body: `${String(req.url)}#${hit}` }
  })
  const gateway = await cachedGateway(t, backend)
  for (const p of ['/items', '/items/2', '/items/3', '/items/4']) await send(gateway.url, p)
  const post = await send(gateway.url, '/items', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })
  t.equal(post.status, 201)
  t.equal(post.headers['cache-status'], 'switchyard; fwd=method; detail=invalidated')
  for (const p of ['/items', '/items/2', '/items/3']) {
    t.match((await send(gateway.url, p)).headers['cache-status'], /fwd=miss/, `${p} was invalidated`)
  }
  t.match((await send(gateway.url, '/items/4')).headers['cache-status'], /; hit/, 'other URIs stay')
  const failed = await send(gateway.url, '/items/4', { method: 'DELETE' })
  t.equal(failed.status, 500)
  t.match((await send(gateway.url, '/items/4')).headers['cache-status'], /; hit/, 'a failed unsafe request invalidates nothing')
})
