/**
 * A tampered, forged or malformed cookie is ignored: the request is still
 * answered 2xx, balanced afresh, and a new valid cookie is set.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { cookiePair, cookieValue, get, startStickyGateway } from '../helpers/sticky.js'

t.test('tampered value → 2xx, balanced afresh, new valid cookie', async (t) => {
  const backends = await startBackends(3)
  const pickedBy: string[] = []
  const gw = await startStickyGateway({
    pools: { api: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy' } } },
    routes: [{ path: '/', pool: 'api' }],
    onResponse: (request) => { pickedBy.push(request.switchyard?.pickedBy ?? 'none') }
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })

  const first = await get(`${gw.url}/`)
  const value = cookieValue(first, 'sy') ?? ''
  // Flip one bit of the target id (inside the signed part) and re-encode.
  const bytes = Buffer.from(value, 'base64url')
  bytes[6] = (bytes[6] as number) ^ 0x01
  const tampered = bytes.toString('base64url')
  t.not(tampered, value)

  const answer = await get(`${gw.url}/`, `sy=${tampered}`)
  t.equal(answer.status, 200)
  t.equal(pickedBy[1], 'balanced', 'balanced afresh, not pinned')
  const fresh = cookiePair(answer, 'sy')
  t.ok(fresh, 'a new cookie is set')
  t.not(fresh, `sy=${tampered}`)

  // The new cookie is valid: it pins to the backend that answered.
  for (let i = 0; i < 10; i++) {
    const next = await get(`${gw.url}/`, fresh)
    t.equal(next.backend, answer.backend)
    t.same(next.setCookies, [])
  }
  t.equal(gw.app.switchyard.pools.get('api')?.stickyCounters.rejected, 1)
})

t.test('malformed and forged values are ignored the same way', async (t) => {
  const backends = await startBackends(2)
  const gw = await startStickyGateway({
    pools: { api: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy' } } },
    routes: [{ path: '/', pool: 'api' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const forged = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), Buffer.from('b1'), Buffer.alloc(32)]).toString('base64url')
  for (const value of ['', 'garbage', '%00%ff', '"quoted"', 'A'.repeat(400), forged]) {
    const answer = await get(`${gw.url}/`, `sy=${value}`)
    t.equal(answer.status, 200, JSON.stringify(value.slice(0, 12)))
    t.ok(cookiePair(answer, 'sy'), 'new cookie')
  }
})
