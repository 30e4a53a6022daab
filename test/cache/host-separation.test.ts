import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test("one host's entry is never served to another; the query is part of the key", async (t) => {
  const backend = await scriptedBackend((req) => ({ headers: { 'cache-control': 'max-age=3600' }, body: `${String(req.headers['x-forwarded-host'])}${String(req.url)}` }))
  const gateway = await cachedGateway(t, backend)
  const a = await send(gateway.url, '/k', { headers: { host: 'a.example' } })
  const b = await send(gateway.url, '/k', { headers: { host: 'b.example' } })
  t.not(a.body, b.body)
  t.match(b.headers['cache-status'], /fwd=miss/)
  t.equal((await send(gateway.url, '/k', { headers: { host: 'A.EXAMPLE' } })).body, a.body, 'host is case-insensitive')
  t.equal((await send(gateway.url, '/k?x=1', { headers: { host: 'a.example' } })).headers['cache-status']?.includes('fwd=miss'), true)
  t.equal(backend.hits, 3)
})
