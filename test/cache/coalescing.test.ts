import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('50 concurrent cold requests for one URL make one upstream request', async (t) => {
  const backend = await scriptedBackend(() => ({ headers: { 'cache-control': 'max-age=3600' }, body: 'slow', delayMs: 300 }))
  const gateway = await cachedGateway(t, backend)
  const answers = await Promise.all(Array.from({ length: 50 }, async () => await send(gateway.url, '/cold')))
  t.equal(backend.hits, 1, 'the backend saw one request')
  t.ok(answers.every((a) => a.status === 200 && a.body === 'slow'))
  t.equal(answers.filter((a) => /collapsed/.test(String(a.headers['cache-status']))).length, 49)
})

t.test('the wait is bounded: followers go upstream themselves after coalesceWaitMs', async (t) => {
  const backend = await scriptedBackend(() => ({ headers: { 'cache-control': 'max-age=3600' }, body: 'slow', delayMs: 1500 }))
  const gateway = await cachedGateway(t, backend, {}, { coalesceWaitMs: 200 })
  const answers = await Promise.all(Array.from({ length: 3 }, async () => await send(gateway.url, '/slow')))
  t.equal(backend.hits, 3)
  t.ok(answers.every((a) => a.body === 'slow'))
})
