import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test("a client's conditional request is answered 304 from the cache", async (t) => {
  const lastModified = new Date(Date.now() - 86400_000).toUTCString()
  const backend = await scriptedBackend(() => ({ headers: { etag: '"abc"', 'last-modified': lastModified, 'cache-control': 'max-age=3600' }, body: 'body' }))
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/c')
  const etag = await send(gateway.url, '/c', { headers: { 'if-none-match': 'W/"abc"' } })
  t.equal(etag.status, 304)
  t.equal(etag.body, '')
  t.equal(etag.headers.etag, '"abc"')
  const ims = await send(gateway.url, '/c', { headers: { 'if-modified-since': new Date().toUTCString() } })
  t.equal(ims.status, 304)
  const other = await send(gateway.url, '/c', { headers: { 'if-none-match': '"other"' } })
  t.equal(other.status, 200)
  t.equal(other.body, 'body')
  t.equal(backend.hits, 1)
})
