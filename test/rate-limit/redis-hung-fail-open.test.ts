/**
 * A hung Redis (process stopped: connection open, no answers) must not hang
 * requests: each counter update times out fast and the request passes.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { startRedis } from '../helpers/redis.js'

t.test('requests pass within the command timeout while Redis does not answer', async (t) => {
  const redis = await startRedis()
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [{ path: '/api', pool: 'p', rateLimit: { max: 1, windowMs: 60000 } }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_REDIS_URL: redis.url })
  t.teardown(async () => {
    redis.process.kill('SIGCONT')
    await gw.close()
    await backend.stop()
    await redis.stop()
  })
  const first = await fetch(`${gw.url}/api/x`)
  await first.text()
  t.equal(first.status, 200)

  redis.process.kill('SIGSTOP')
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    const res = await fetch(`${gw.url}/api/x`, { signal: AbortSignal.timeout(5000) })
    await res.text()
    times.push(performance.now() - started)
    t.equal(res.status, 200, `request ${i + 1} passes (fail open)`)
  }
  // The command timeout is 250 ms; allow a loaded machine generous room, far below a hang.
  t.ok(Math.max(...times) < 2000, `each request answered promptly (${times.map((ms) => Math.round(ms)).join(', ')} ms)`)
})
