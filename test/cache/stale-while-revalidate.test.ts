import t from 'tap'
import { cachedGateway, scriptedBackend, send, sleep } from '../helpers/cache.js'

t.test('stale-while-revalidate: stale served at once, refreshed once in the background', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=1, stale-while-revalidate=60' }, body: `v${hit}`, delayMs: hit > 1 ? 1500 : 0 }))
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/s')
  await sleep(2100)
  const started = Date.now()
  const answers = await Promise.all([1, 2, 3, 4, 5].map(async () => await send(gateway.url, '/s')))
  // the refresh takes 1.5 s: answers well before that were not waiting for it (margin for a loaded CI machine)
  t.ok(Date.now() - started < 1000, 'stale answers did not wait for the 1.5 s backend')
  for (const a of answers) {
    t.equal(a.body, 'v1')
    t.match(a.headers['cache-status'], /; hit; ttl=-\d+; detail=stale-while-revalidate/)
  }
  await sleep(2000)
  t.equal(backend.hits, 2, 'one background refresh for five stale hits')
  const fresh = await send(gateway.url, '/s')
  t.equal(fresh.body, 'v2', 'the refresh replaced the entry')
  t.notOk(backend.lastHeaders?.['x-switchyard-cache-refresh'], 'the internal marker never reaches the backend')
})
