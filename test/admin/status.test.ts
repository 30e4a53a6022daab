/**
 * The admin listener: /health for the gateway itself, /status for pools and
 * targets (token-protected when GATEWAY_ADMIN_TOKEN is set).
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { adminAddress } from '../../plugins/admin/index.js'

t.test('/health and /status without a token', async (t) => {
  const backends = await startBackends(2)
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backends.map((b) => b.url).join(',') })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  await (await fetch(`${gw.url}/x`)).text()
  const admin = adminAddress(gw.app)
  t.match(admin, /^http:\/\/127\.0\.0\.1:\d+$/, 'admin listens on loopback')
  const health = await fetch(`${admin}/health`)
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'ok' })
  const status = await (await fetch(`${admin}/status`)).json() as { pools: Array<{ name: string, balancer: string, targets: Array<Record<string, unknown>> }> }
  t.equal(status.pools.length, 1)
  const pool = status.pools[0]
  t.equal(pool?.name, 'default')
  t.equal(pool?.balancer, 'round-robin')
  t.same(pool?.targets.map((x) => x.url), backends.map((b) => b.url))
  t.same(pool?.targets.map((x) => x.requests), [1, 0], 'live request counts')
  t.same(pool?.targets.map((x) => x.condition), ['healthy', 'healthy'])
  t.ok(pool?.targets.every((x) => x.inFlight === 0), 'nothing in flight')
})

t.test('/status needs the bearer token when GATEWAY_ADMIN_TOKEN is set; /health does not', async (t) => {
  const backends = await startBackends(1)
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backends[0]?.url, GATEWAY_ADMIN_TOKEN: 's3cret-token' })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const admin = adminAddress(gw.app)
  t.equal((await fetch(`${admin}/health`)).status, 200)
  const anonymous = await fetch(`${admin}/status`)
  t.equal(anonymous.status, 401)
  t.notMatch(await anonymous.text(), /127\.0\.0\.1/, 'no address without the token')
  t.equal((await fetch(`${admin}/status`, { headers: { authorization: 'Bearer wrong' } })).status, 401)
  const ok = await fetch(`${admin}/status`, { headers: { authorization: 'Bearer s3cret-token' } })
  t.equal(ok.status, 200)
  t.match(await ok.text(), backends[0]?.url ?? 'missing')
})

t.test('/metrics is Prometheus text with per-target counters read from live state', async (t) => {
  const backends = await startBackends(2)
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backends.map((b) => b.url).join(','), GATEWAY_ADMIN_TOKEN: 'tok' })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  for (let i = 0; i < 3; i++) await (await fetch(`${gw.url}/x`)).text()
  const admin = adminAddress(gw.app)
  t.equal((await fetch(`${admin}/metrics`)).status, 401, 'token-protected like /status')
  const res = await fetch(`${admin}/metrics`, { headers: { authorization: 'Bearer tok' } })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain/)
  const text = await res.text()
  const ids = gw.app.switchyard.pools.get('default')?.targets.map((x) => x.id) ?? []
  t.match(text, `switchyard_target_requests_total{pool="default",target="${ids[0] ?? ''}"} 2`)
  t.match(text, `switchyard_target_requests_total{pool="default",target="${ids[1] ?? ''}"} 1`)
  t.match(text, `switchyard_upstream_responses_total{pool="default",target="${ids[0] ?? ''}",class="2xx"} 2`)
  t.match(text, `switchyard_target_available{pool="default",target="${ids[0] ?? ''}"} 1`)
  t.match(text, /# TYPE switchyard_target_requests_total counter/)
  t.notMatch(text, /127\.0\.0\.1/, 'target ids, not addresses, label the series')
})
