import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('no-cache: the response is stored but revalidated before every reuse', async (t) => {
  const seen: Array<string | undefined> = []
  const backend = await scriptedBackend((req) => {
    seen.push(req.headers['if-none-match'])
    if (req.headers['if-none-match'] === '"v1"') return { status: 304, headers: { etag: '"v1"', 'cache-control': 'no-cache' } }
    return { headers: { etag: '"v1"', 'cache-control': 'no-cache', 'content-type': 'text/plain' }, body: 'body-v1' }
  })
  const gateway = await cachedGateway(t, backend)
  const first = await send(gateway.url, '/nc')
  t.match(first.headers['cache-status'], /stored/)
  const second = await send(gateway.url, '/nc')
  t.equal(second.status, 200)
  t.equal(second.body, 'body-v1', 'the body came from the cache after a 304')
  t.match(second.headers['cache-status'], /fwd=stale; fwd-status=304/)
  t.same(seen, [undefined, '"v1"'], 'the second request was a revalidation')
})
