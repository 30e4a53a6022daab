import t from 'tap'
import { startRedis } from '../helpers/redis.js'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('two gateway instances on one Redis share a hit, binary bodies intact', async (t) => {
  const redis = await startRedis()
  t.teardown(async () => { await redis.stop() })
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
  const backend = await scriptedBackend(() => ({ headers: { 'cache-control': 'max-age=3600', 'content-type': 'application/octet-stream', vary: 'accept' }, body: binary }))
  const env = { GATEWAY_CACHE: 'redis', GATEWAY_REDIS_URL: redis.url }
  const one = await cachedGateway(t, backend, env)
  const two = await cachedGateway(t, backend, env)
  const { request } = await import('undici')
  const first = await request(one.url + '/bin', { headers: { accept: 'x/y', host: 'shared.example' } })
  t.same(Buffer.from(await first.body.arrayBuffer()), binary)
  t.match(String(first.headers['cache-status']), /stored/)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const second = await request(two.url + '/bin', { headers: { accept: 'x/y', host: 'shared.example' } })
  t.same(Buffer.from(await second.body.arrayBuffer()), binary, 'the other instance served the stored bytes')
  t.match(String(second.headers['cache-status']), /; hit/)
  t.equal(backend.hits, 1)
  const other = await send(two.url, '/bin', { headers: { accept: 'text/plain', host: 'shared.example' } })
  t.match(other.headers['cache-status'], /fwd=vary-miss/, 'variants are shared too')
})
