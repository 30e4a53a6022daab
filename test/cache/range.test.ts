import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

// RFC 9111 §3.4 / RFC 9110 §14: a cache holding a complete fresh response may answer a byte range from it.
t.test('Range: one byte range of a fresh stored 200 is answered 206 from the cache; others go to the origin', async (t) => {
  const backend = await scriptedBackend(() => ({ headers: { 'cache-control': 'max-age=3600', etag: '"v1"', a: '1' }, body: '0123456789A' }))
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/r')
  const cases: Array<[string, string, string]> = [['bytes=0-1', '01', 'bytes 0-1/11'], ['bytes=1-', '123456789A', 'bytes 1-10/11'], ['bytes=-1', 'A', 'bytes 10-10/11'], ['bytes=5-99', '56789A', 'bytes 5-10/11']]
  for (const [range, body, contentRange] of cases) {
    const res = await send(gateway.url, '/r', { headers: { range } })
    t.equal(res.status, 206, range)
    t.equal(res.body, body, range)
    t.equal(res.headers['content-range'], contentRange, range)
    t.equal(res.headers['content-length'], String(body.length), range)
    t.equal(res.headers.a, '1', 'stored fields kept')
    t.match(res.headers['cache-status'], /; hit/)
  }
  t.equal(backend.hitsByPath.get('/r'), 1, 'no range went upstream')
  await send(gateway.url, '/r', { headers: { range: 'bytes=0-1, 3-4' } })
  t.equal(backend.hitsByPath.get('/r'), 2, 'several ranges are left to the origin')
  await send(gateway.url, '/r', { headers: { range: 'bytes=0-1', 'if-range': '"v0"' } })
  t.equal(backend.hitsByPath.get('/r'), 3, 'an If-Range that does not match goes to the origin')
  const matched = await send(gateway.url, '/r', { headers: { range: 'bytes=0-1', 'if-range': '"v1"' } })
  t.equal(matched.status, 206)
  t.equal(backend.hitsByPath.get('/r'), 3, 'a matching If-Range is served from the cache')
})
