import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('max-age: a fresh response is served from the cache with Age; a stale one is fetched again', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=2', 'content-type': 'text/plain' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  const first = await send(gateway.url, '/page')
  t.equal(first.body, 'v1')
  t.equal(first.headers['cache-status'], 'switchyard; fwd=miss; fwd-status=200; ttl=2; stored')
  const second = await send(gateway.url, '/page')
  t.equal(second.body, 'v1')
  t.match(second.headers['cache-status'], /^switchyard; hit; ttl=/)
  t.match(second.headers.age, /^\d+$/)
  t.equal(second.headers['content-type'], 'text/plain')
  t.equal(backend.hits, 1, 'the backend saw one request')
  await new Promise((resolve) => setTimeout(resolve, 3100))
  const third = await send(gateway.url, '/page')
  t.equal(third.body, 'v2', 'stale after max-age: fetched again')
  t.match(third.headers['cache-status'], /fwd=stale/)
  t.equal(backend.hits, 2)
})
