import t from 'tap'
import { startRedis } from '../helpers/redis.js'
import { cachedGateway, scriptedBackend, send, sleep } from '../helpers/cache.js'

t.test('Redis killed mid-test: requests are still answered (forwarded), and caching resumes when it is back', async (t) => {
  const redis = await startRedis()
  t.teardown(async () => { await redis.stop() })
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=3600' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend, { GATEWAY_CACHE: 'redis', GATEWAY_REDIS_URL: redis.url })
  await send(gateway.url, '/o')
  t.match((await send(gateway.url, '/o')).headers['cache-status'], /; hit/)
  await redis.stop()
  for (let i = 0; i < 5; i++) {
    const answer = await send(gateway.url, '/o')
    t.equal(answer.status, 200, 'answered without Redis')
    t.match(answer.headers['cache-status'], /fwd=miss/)
  }
  t.equal(backend.hits, 6)
  await redis.start()
  const deadline = Date.now() + 8000
  let status = ''
  while (Date.now() < deadline && !status.includes('hit')) {
    await send(gateway.url, '/o')
    status = String((await send(gateway.url, '/o')).headers['cache-status'])
    await sleep(200)
  }
  t.match(status, /; hit/, 'cached again after Redis came back')
})
