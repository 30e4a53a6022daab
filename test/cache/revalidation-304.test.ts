import t from 'tap'
import { cachedGateway, scriptedBackend, send, sleep } from '../helpers/cache.js'

t.test('a stale entry is revalidated with If-None-Match/If-Modified-Since; a 304 refreshes the stored headers', async (t) => {
  const lastModified = new Date(Date.now() - 86400_000).toUTCString()
  const conditionals: Array<[string | undefined, string | undefined]> = []
  const backend = await scriptedBackend((req, hit) => {
    conditionals.push([req.headers['if-none-match'], req.headers['if-modified-since']])
    if (hit > 1) return { status: 304, headers: { etag: '"e1"', 'cache-control': 'max-age=3600', 'x-version': 'refreshed' } }
    return { headers: { etag: '"e1"', 'last-modified': lastModified, 'cache-control': 'max-age=1', 'x-version': 'original' }, body: 'the-body' }
  })
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/r')
  await sleep(2100)
  const revalidated = await send(gateway.url, '/r')
  t.equal(revalidated.status, 200)
  t.equal(revalidated.body, 'the-body')
  t.equal(revalidated.headers['x-version'], 'refreshed')
  t.same(conditionals[1], ['"e1"', lastModified])
  const hit = await send(gateway.url, '/r')
  t.match(hit.headers['cache-status'], /; hit/, 'fresh again for max-age=3600 from the 304')
  t.equal(hit.headers['x-version'], 'refreshed')
  t.equal(backend.hits, 2)
})
