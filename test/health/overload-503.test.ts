/**
 * Overload protection: with `maxConnectionsPerTarget` requests in flight on
 * every healthy target, the next request is answered 503 + Retry-After at
 * once instead of queueing; capacity freed is used again.
 */
import t from 'tap'
import type { ServerResponse } from 'node:http'
import { Agent, request } from 'undici'
import { startBackends } from '../helpers/backend.js'
import { startHealthGateway, waitFor } from '../helpers/health.js'

t.test('every target full → immediate 503; a freed slot serves again', async (t) => {
  const held: ServerResponse[] = []
  const backends = await startBackends(2, (req, res) => {
    req.resume()
    if (req.url === '/hold') held.push(res)
    else res.end('quick')
  })
  const gw = await startHealthGateway({ pools: { p: { targets: backends.map((b) => b.url), maxConnectionsPerTarget: 2 } } })
  const agent = new Agent({ connections: 10 })
  t.teardown(async () => {
    for (const res of held) res.end()
    await agent.close()
    await gw.close()
    for (const b of backends) await b.stop()
  })

  const holding = Array.from({ length: 4 }, async () => {
    const res = await request(`${gw.url}/hold`, { dispatcher: agent })
    return { status: res.statusCode, body: await res.body.text() }
  })
  t.ok(await waitFor(() => held.length === 4, 5000) >= 0, '2 targets × 2 slots are busy')

  const started = performance.now()
  const res = await request(`${gw.url}/extra`, { dispatcher: agent })
  const body = await res.body.json() as { code: string }
  const ms = performance.now() - started
  t.equal(res.statusCode, 503, 'the 5th request is refused')
  t.equal(res.headers['retry-after'], '1', 'with Retry-After')
  t.equal(body.code, 'SWITCHYARD_NO_TARGET')
  t.ok(ms < 250, `at once (${ms.toFixed(1)} ms) while the held requests never end: not queued`)
  t.equal(backends.reduce((n, b) => n + (b.hitsByPath.get('/extra') ?? 0), 0), 0, 'no backend saw it')

  held.shift()?.end('released')
  const freed = await waitFor(() => gw.app.switchyard.pools.get('p')?.targets.some((target) => target.inFlight < 2) === true, 2000)
  t.ok(freed >= 0, 'a slot is freed when its response ends')
  const again = await request(`${gw.url}/extra`, { dispatcher: agent })
  t.equal(again.statusCode, 200, 'the next request is served')
  t.equal(await again.body.text(), 'quick')
  for (const r of held.splice(0)) r.end('released')
  t.same((await Promise.all(holding)).map((r) => r.status), [200, 200, 200, 200], 'the held requests complete')
})
