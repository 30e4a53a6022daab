/**
 * Redis down → fail open: requests are answered (unlimited) without waiting,
 * the gateway does not crash, and the limit applies again once Redis is back.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { startRedis } from '../helpers/redis.js'

t.test('requests pass quickly while Redis is down, limits resume when it is back', async (t) => {
  const redis = await startRedis()
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [{ path: '/api', pool: 'p', rateLimit: { max: 2, windowMs: 60000 } }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_REDIS_URL: redis.url })
  t.teardown(async () => { await gw.close(); await backend.stop(); await redis.stop() })

  const get = async (): Promise<{ status: number, ms: number }> => {
    const started = performance.now()
    const res = await fetch(`${gw.url}/api/x`)
    await res.text()
    return { status: res.status, ms: performance.now() - started }
  }
  t.same([(await get()).status, (await get()).status, (await get()).status], [200, 200, 429], 'limited while Redis is up')

  await redis.stop()
  const during: Array<{ status: number, ms: number }> = []
  for (let i = 0; i < 8; i++) during.push(await get())
  t.ok(during.every((r) => r.status === 200), `all answered 200 while Redis is down (fail open): ${during.map((r) => r.status).join(',')}`)
  const slowest = Math.max(...during.map((r) => r.ms))
  t.ok(slowest < 1500, `no request waited for Redis (slowest ${Math.round(slowest)} ms)`)

  await redis.start()
  // ioredis reconnects within its retry delay (≤ 2 s); the new Redis is empty.
  const deadline = Date.now() + 8000
  let limited = false
  while (Date.now() < deadline && !limited) {
    limited = (await get()).status === 429
    if (!limited) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(limited, 'rate limiting applies again once Redis is back')
})
