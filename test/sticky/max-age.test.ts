/**
 * maxAgeSeconds: an expired value is ignored (balanced afresh, new cookie);
 * a value past half its age is honoured and refreshed, so active users keep
 * their target.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { cookiePair, get, setCookieOf, startStickyGateway, STICKY_SECRET, attributesOf } from '../helpers/sticky.js'
import { StickyCookieCodec } from '../../plugins/sticky/codec.js'

t.test('expired → rejected; half-aged → kept and refreshed; fresh → kept as is', async (t) => {
  const backends = await startBackends(3)
  const gw = await startStickyGateway({
    pools: { api: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy', maxAgeSeconds: 100, sameSite: 'Lax' } } },
    routes: [{ path: '/', pool: 'api' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const pool = gw.app.switchyard.pools.get('api')
  const target = pool?.targets[1]
  if (target === undefined || pool === undefined) throw new Error('no target')
  // Values signed as this gateway would, at chosen issue times (binding: pool name and cookie name).
  const codec = new StickyCookieCodec({ secret: STICKY_SECRET, binding: 'api\nsy' })
  const name = backends[1]?.name

  const fresh = await get(`${gw.url}/`, `sy=${codec.encode(target.id, Date.now() - 10_000)}`)
  t.equal(fresh.backend, name)
  t.same(fresh.setCookies, [], 'fresh: no new cookie')

  const halfAged = await get(`${gw.url}/`, `sy=${codec.encode(target.id, Date.now() - 70_000)}`)
  t.equal(halfAged.backend, name, 'half-aged: still pinned')
  t.equal(attributesOf(setCookieOf(halfAged, 'sy') ?? '')['max-age'], '100', 'and refreshed')
  t.equal((await get(`${gw.url}/`, cookiePair(halfAged, 'sy'))).setCookies.length, 0, 'the refreshed cookie is fresh')

  const expired = await get(`${gw.url}/`, `sy=${codec.encode(target.id, Date.now() - 200_000)}`)
  t.equal(expired.status, 200)
  t.ok(setCookieOf(expired, 'sy'), 'expired: a new cookie')
  t.same(pool.stickyCounters, { hits: 3, pins: 0, repins: 0, rejected: 1 })
})
