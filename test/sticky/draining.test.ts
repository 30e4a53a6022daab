/**
 * A draining target keeps the users pinned to it and takes no new ones.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { cookiePair, get, startStickyGateway } from '../helpers/sticky.js'

t.test('draining: sticky users stay, new users go elsewhere', async (t) => {
  const backends = await startBackends(3)
  const gw = await startStickyGateway({
    pools: { api: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy' } } },
    routes: [{ path: '/', pool: 'api' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const first = await get(`${gw.url}/`)
  const cookie = cookiePair(first, 'sy') as string
  const pool = gw.app.switchyard.pools.get('api')
  const pinned = backends.find((b) => b.name === first.backend)
  const target = pool?.targets.find((x) => x.origin === pinned?.url)
  if (target === undefined || pinned === undefined) throw new Error('no pinned target')
  target.draining = true

  for (let i = 0; i < 20; i++) {
    const answer = await get(`${gw.url}/`, cookie)
    t.equal(answer.backend, pinned.name, `sticky request ${i} stays on the draining target`)
    t.same(answer.setCookies, [])
  }
  const hitsBefore = pinned.hits
  const newCookies = new Set<string>()
  for (let i = 0; i < 20; i++) {
    const answer = await get(`${gw.url}/`)
    t.not(answer.backend, pinned.name, `new user ${i} is not sent to the draining target`)
    newCookies.add(cookiePair(answer, 'sy') ?? '')
  }
  t.equal(pinned.hits, hitsBefore, 'the draining target got no new user')
  for (const fresh of newCookies) t.not((await get(`${gw.url}/`, fresh)).backend, pinned.name, 'no new cookie names it')
})
