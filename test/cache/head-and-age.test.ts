import t from 'tap'
import { cachedGateway, scriptedBackend, send, sleep } from '../helpers/cache.js'

t.test('HEAD is answered from a stored GET; Age grows and counts the upstream Age', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=3600', age: '10', 'content-type': 'text/plain' }, body: `body-${hit}` }))
  const gateway = await cachedGateway(t, backend)
  await send(gateway.url, '/h')
  const head = await send(gateway.url, '/h', { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(head.body, '')
  t.equal(head.headers['content-length'], '6')
  t.match(head.headers['cache-status'], /; hit/)
  t.equal(backend.hits, 1, 'HEAD did not reach the backend')
  await sleep(1100)
  const get = await send(gateway.url, '/h')
  t.ok(Number(get.headers.age) >= 11, `Age ${String(get.headers.age)} includes the upstream Age and the time in cache`)
})
