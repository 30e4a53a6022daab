/**
 * With GATEWAY_REDIS_URL, two gateway instances share their counters: the
 * limit holds across both, whichever instance a request reaches.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { startRedis } from '../helpers/redis.js'

t.test('two instances on one Redis share the counter', async (t) => {
  const redis = await startRedis()
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [{ path: '/api', pool: 'p', rateLimit: { max: 4, windowMs: 60000 } }]
  })
  const env = { GATEWAY_CONFIG: config, GATEWAY_REDIS_URL: redis.url, GATEWAY_RATE_LIMIT_MAX: '6' }
  const one = await startAppGateway(env)
  const two = await startAppGateway(env)
  t.teardown(async () => { await one.close(); await two.close(); await backend.stop(); await redis.stop() })

  const statuses: number[] = []
  for (let i = 0; i < 6; i++) {
    const gw = i % 2 === 0 ? one : two
    const res = await fetch(`${gw.url}/api/x`)
    await res.text()
    statuses.push(res.status)
  }
  t.same(statuses, [200, 200, 200, 200, 429, 429], 'the route limit (4) holds across both instances')
  t.equal(backend.hits, 4, 'only the allowed requests reached the backend')

  // The global limit (6 per IP) is shared too: 6 counted so far (the 429s included), so /nowhere is limited.
  const res = await fetch(`${one.url}/nowhere`)
  await res.text()
  t.equal(res.status, 429, 'the global counter is shared as well')
})
