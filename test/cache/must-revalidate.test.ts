import t from 'tap'
import { cachedGateway, scriptedBackend, send, sleep } from '../helpers/cache.js'

t.test('must-revalidate: reused while fresh; once stale never served without revalidation, not even on error', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=2, must-revalidate, stale-if-error=3600' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/m')
  const fresh = await send(gateway.url, '/m')
  t.match(fresh.headers['cache-status'], /; hit/, 'fresh must-revalidate responses are reused')
  await sleep(3100)
  const stale = await send(gateway.url, '/m', { headers: { 'cache-control': 'max-stale=3600' } })
  t.equal(stale.body, 'v2', 'max-stale does not override must-revalidate')
  await sleep(3100)
  await backend.stop()
  const down = await send(gateway.url, '/m')
  t.equal(down.status, 502, 'no stale response when the backend is down')
})

t.test('proxy-revalidate: reused while fresh (a shared cache treats it as must-revalidate)', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=3600, proxy-revalidate' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/p')
  const again = await send(gateway.url, '/p')
  t.equal(again.body, 'v1')
  t.equal(backend.hits, 1)
})
