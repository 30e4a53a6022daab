/**
 * GATEWAY_RATE_LIMIT_MAX requests per client IP per window; the next one gets
 * 429 with Retry-After, the RateLimit-* headers and the gateway's JSON error
 * body, and never reaches the backend.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'

t.test('global limit: 429 after N, with Retry-After and RateLimit-* headers', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_RATE_LIMIT_MAX: '3', GATEWAY_RATE_LIMIT_WINDOW_MS: '60000' })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  for (let i = 1; i <= 3; i++) {
    const res = await fetch(`${gw.url}/item`)
    await res.text()
    t.equal(res.status, 200, `request ${i} passes`)
    t.equal(res.headers.get('ratelimit-limit'), '3', 'RateLimit-Limit')
    t.equal(res.headers.get('ratelimit-remaining'), String(3 - i), 'RateLimit-Remaining counts down')
    const reset = Number(res.headers.get('ratelimit-reset'))
    t.ok(reset >= 1 && reset <= 60, `RateLimit-Reset within the window (${reset})`)
  }
  const limited = await fetch(`${gw.url}/item`)
  t.equal(limited.status, 429, 'the 4th request is limited')
  const retryAfter = Number(limited.headers.get('retry-after'))
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds within the window (${retryAfter})`)
  t.equal(limited.headers.get('ratelimit-remaining'), '0')
  t.equal(limited.headers.get('ratelimit-limit'), '3')
  t.match(limited.headers.get('content-type'), /^application\/json/)
  t.same(await limited.json(), {
    statusCode: 429,
    code: 'SWITCHYARD_RATE_LIMITED',
    error: 'Too Many Requests',
    message: 'Too many requests, retry later'
  }, 'short JSON body in the gateway error format')
  t.equal(backend.hits, 3, 'the limited request never reached the backend')
})
