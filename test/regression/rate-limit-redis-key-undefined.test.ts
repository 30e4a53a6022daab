/**
 * Regression (issue 10, item 17): the rate-limit counters' Redis keys read
 * `switchyard-rl:undefinedundefined-global|…` (the library's Redis store adds
 * the route's method and URL, undefined for limits made with
 * `createRateLimit`). Keys are now `switchyard-rl:<scope>|<client key>`.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { startRedis } from '../helpers/redis.js'

t.test('counter keys name the scope and the client, nothing undefined', async (t) => {
  const redis = await startRedis()
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [{ path: '/api', pool: 'p', rateLimit: { max: 10, windowMs: 60000, key: 'header:x-api-key' } }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_REDIS_URL: redis.url, GATEWAY_RATE_LIMIT_MAX: '100' })
  const client = new Redis(redis.url)
  t.teardown(async () => {
    client.disconnect()
    await gw.close()
    await backend.stop()
    await redis.stop()
  })
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${gw.url}/api/x`, { headers: { 'x-api-key': 'k1' } })
    await res.text()
    t.equal(res.status, 200)
  }
  const keys = (await client.keys('*')).sort()
  t.same(keys, ['switchyard-rl:global|ip:127.0.0.1', 'switchyard-rl:route:/api|h:k1'], `keys: ${keys.join(', ')}`)
  t.equal(await client.get('switchyard-rl:global|ip:127.0.0.1'), '2', 'the global counter counts both requests')
  t.equal(await client.get('switchyard-rl:route:/api|h:k1'), '2', 'the route counter too')
  const ttl = await client.pttl('switchyard-rl:route:/api|h:k1')
  t.ok(ttl > 0 && ttl <= 60000, `the counter expires with its window (${ttl} ms left)`)
})
