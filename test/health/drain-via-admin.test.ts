/**
 * Draining a target through the admin API (token-protected): it gets no new
 * requests, finishes its in-flight one, and `/status` shows it draining, why
 * and since when; undrain puts it back.
 */
import t from 'tap'
import type { ServerResponse } from 'node:http'
import { startBackends } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { adminAddress } from '../../plugins/admin/index.js'
import { waitFor } from '../helpers/health.js'

interface StatusTarget { id: string, condition: string, reason: string, since: string, draining: boolean, healthy: boolean, ejectedUntil: string | null, consecutiveFailures: number, inFlight: number }

t.test('POST /targets/:pool/:id/drain and /undrain', async (t) => {
  const held: ServerResponse[] = []
  const backends = await startBackends(2, (req, res, backend) => {
    req.resume()
    if (req.url === '/hold') held.push(res)
    else res.end(backend.name)
  })
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backends.map((b) => b.url).join(','), GATEWAY_ADMIN_TOKEN: 'sesame' })
  t.teardown(async () => {
    for (const res of held) res.end()
    await gw.close()
    for (const b of backends) await b.stop()
  })
  const admin = adminAddress(gw.app)
  const auth = { authorization: 'Bearer sesame' }
  const status = async (): Promise<StatusTarget[]> =>
    ((await (await fetch(`${admin}/status`, { headers: auth })).json()) as { pools: Array<{ targets: StatusTarget[] }> }).pools[0]?.targets ?? []
  const [first] = await status()
  if (first === undefined) throw new Error('no target')

  // A slow request in flight on b1 (round robin: first request goes to the first target).
  const slow = fetch(`${gw.url}/hold`).then(async (res) => ({ status: res.status, body: await res.text() }))
  t.ok(await waitFor(() => held.length === 1, 3000) >= 0, 'a request is in flight on b1')

  const denied = await fetch(`${admin}/targets/default/${first.id}/drain`, { method: 'POST' })
  t.equal(denied.status, 401, 'the drain route needs the admin token')
  const missing = await fetch(`${admin}/targets/default/nope/drain`, { method: 'POST', headers: auth })
  t.equal(missing.status, 404, 'unknown target → 404')

  const drained = await fetch(`${admin}/targets/default/${first.id}/drain`, { method: 'POST', headers: auth })
  t.equal(drained.status, 200)
  t.match(await drained.json(), { id: first.id, condition: 'draining', draining: true, inFlight: 1 })

  const [shown] = await status()
  t.match(shown, { condition: 'draining', draining: true, healthy: true, ejectedUntil: null, consecutiveFailures: 0, inFlight: 1, reason: 'draining (admin API)' })
  t.ok(Date.now() - Date.parse(shown?.since ?? '') < 5000, `since when: ${String(shown?.since)}`)

  const bodies: string[] = []
  for (let i = 0; i < 6; i++) bodies.push(await (await fetch(`${gw.url}/x`)).text())
  t.same(bodies, Array(6).fill('b2'), 'no new request goes to the draining target')

  held.shift()?.end('finished')
  t.same(await slow, { status: 200, body: 'finished' }, 'its in-flight request finishes normally')
  t.equal((await status())[0]?.inFlight, 0)

  const undrained = await fetch(`${admin}/targets/default/${first.id}/undrain`, { method: 'POST', headers: auth })
  t.match(await undrained.json(), { condition: 'healthy', draining: false })
  const after = new Set<string>()
  for (let i = 0; i < 4; i++) after.add(await (await fetch(`${gw.url}/x`)).text())
  t.same([...after].sort(), ['b1', 'b2'], 'back in rotation after undrain')
})
