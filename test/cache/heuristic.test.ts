import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('heuristic freshness: a 200 with an old Last-Modified and no explicit lifetime is reused; without Last-Modified it is not', async (t) => {
  const lastModified = new Date(Date.now() - 10 * 86400_000).toUTCString()
  const backend = await scriptedBackend((req, hit) => req.url === '/lm'
    ? { headers: { 'last-modified': lastModified }, body: `lm${hit}` }
    : { body: `plain${hit}` })
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/lm')
  const again = await send(gateway.url, '/lm')
  t.equal(again.body, 'lm1')
  t.match(again.headers['cache-status'], /; hit; ttl=\d+/)
  t.equal(backend.hitsByPath.get('/lm'), 1)
  await send(gateway.url, '/plain')
  await send(gateway.url, '/plain')
  t.equal(backend.hitsByPath.get('/plain'), 2, 'no validator, no lifetime: not reused')
})

t.test('heuristic freshness applies only to statuses cacheable by default', async (t) => {
  const lastModified = new Date(Date.now() - 10 * 86400_000).toUTCString()
  const backend = await scriptedBackend(() => ({ status: 302, headers: { 'last-modified': lastModified, location: '/elsewhere' } }))
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/moved')
  const again = await send(gateway.url, '/moved')
  t.equal(again.status, 302)
  t.equal(backend.hits, 2, 'a 302 without explicit freshness is not reused')
})
