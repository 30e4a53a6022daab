/**
 * With its cookie, a client's requests all reach one backend, whatever the
 * balancer would pick; the cookie names the target without its address.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { cookiePair, cookieValue, get, startStickyGateway } from '../helpers/sticky.js'

t.test('50 requests with the cookie all reach one backend; no new cookie while pinned', async (t) => {
  const backends = await startBackends(3)
  const pickedBy: string[] = []
  const gw = await startStickyGateway({
    pools: { api: { targets: backends.map((b) => b.url), balancer: 'round-robin', sticky: { cookie: 'sy' } } },
    routes: [{ path: '/', pool: 'api' }],
    onResponse: (request) => { pickedBy.push(request.switchyard?.pickedBy ?? 'none') }
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })

  const first = await get(`${gw.url}/cart`)
  const cookie = cookiePair(first, 'sy')
  if (cookie === undefined || first.backend === undefined) throw new Error('no cookie or backend on the first response')
  const seen = new Set<string>()
  let newCookies = 0
  for (let i = 0; i < 50; i++) {
    const answer = await get(`${gw.url}/cart/${i}`, `lang=en; ${cookie}; other=1`)
    t.equal(answer.status, 200)
    seen.add(answer.backend ?? '?')
    if (answer.setCookies.length > 0) newCookies++
  }
  t.same([...seen], [first.backend], 'all 50 on the first backend')
  t.equal(newCookies, 0)
  const pinned = backends.find((b) => b.name === first.backend)
  t.equal(pinned?.hits, 51)
  t.same(pickedBy.slice(1), Array(50).fill('sticky'), 'the access log says sticky')

  // Without the cookie the balancer still rotates.
  const rotated = new Set<string>()
  for (let i = 0; i < 6; i++) rotated.add((await get(`${gw.url}/`)).backend ?? '?')
  t.equal(rotated.size, 3, 'cookie-less requests are balanced over all three')
  t.same(gw.app.switchyard.pools.get('api')?.stickyCounters, { hits: 50, pins: 7, repins: 0, rejected: 0 })
})

t.test('the cookie value contains neither the backend host nor its port', async (t) => {
  const backends = await startBackends(3)
  const gw = await startStickyGateway({
    pools: { api: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy' } } },
    routes: [{ path: '/', pool: 'api' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  for (let i = 0; i < 3; i++) {
    const answer = await get(`${gw.url}/`)
    const value = cookieValue(answer, 'sy') ?? ''
    t.ok(value.length > 0)
    const backend = backends.find((b) => b.name === answer.backend)
    if (backend === undefined) throw new Error('unknown backend')
    const decoded = Buffer.from(value, 'base64url').toString('latin1')
    for (const form of [value, decoded, value.toLowerCase()]) {
      t.notOk(form.includes('127.0.0.1'), 'no host')
      t.notOk(form.includes(String(backend.port)), `no port ${backend.port}`)
      t.notOk(form.includes(Buffer.from(String(backend.port)).toString('base64url')), 'no base64 port')
    }
  }
})
