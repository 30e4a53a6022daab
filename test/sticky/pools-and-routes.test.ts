/**
 * Several routes and pools: each pool has its own cookie, bound to the pool
 * inside the MAC and scoped by Path to its route, so cookies don't collide.
 */
import t from 'tap'
import { startBackend, type TestBackend } from '../helpers/backend.js'
import { attributesOf, cookiePair, get, setCookieOf, startStickyGateway } from '../helpers/sticky.js'

async function backendsNamed (names: string[]): Promise<TestBackend[]> {
  const list: TestBackend[] = []
  for (const name of names) list.push(await startBackend(name))
  return list
}

t.test('same cookie name and target ids in two pools: a cookie of one is rejected by the other', async (t) => {
  const a = await backendsNamed(['a1', 'a2'])
  const b = await backendsNamed(['b1', 'b2'])
  const sticky = { cookie: 'sy', sameSite: 'Lax' }
  const gw = await startStickyGateway({
    pools: {
      shop: { targets: [{ url: a[0]?.url as string, id: 'one' }, { url: a[1]?.url as string, id: 'two' }], sticky },
      blog: { targets: [{ url: b[0]?.url as string, id: 'one' }, { url: b[1]?.url as string, id: 'two' }], sticky }
    },
    routes: [{ path: '/shop', pool: 'shop' }, { path: '/blog', pool: 'blog' }]
  })
  t.teardown(async () => { await gw.close(); for (const x of [...a, ...b]) await x.stop() })

  const shop = await get(`${gw.url}/shop/cart`)
  t.equal(attributesOf(setCookieOf(shop, 'sy') ?? '').path, '/shop')
  const shopCookie = cookiePair(shop, 'sy') as string
  // Replayed on the other pool (a client ignoring Path): same id exists there, but the MAC binds the pool.
  const replayed = await get(`${gw.url}/blog/post`, shopCookie)
  t.equal(replayed.status, 200)
  t.ok(replayed.backend?.startsWith('b'))
  t.equal(attributesOf(setCookieOf(replayed, 'sy') ?? '').path, '/blog', 'a new cookie for /blog')
  t.equal(gw.app.switchyard.pools.get('blog')?.stickyCounters.rejected, 1)
  t.equal(gw.app.switchyard.pools.get('shop')?.stickyCounters.pins, 1)
})

t.test('nested routes: a browser sends both cookies of one name; each route finds its own', async (t) => {
  const site = await backendsNamed(['s1', 's2', 's3'])
  const api = await backendsNamed(['p1', 'p2', 'p3'])
  const sticky = { cookie: 'sy', sameSite: 'Lax' }
  const gw = await startStickyGateway({
    pools: { site: { targets: site.map((x) => x.url), sticky }, api: { targets: api.map((x) => x.url), sticky } },
    routes: [{ path: '/', pool: 'site' }, { path: '/api', pool: 'api' }]
  })
  t.teardown(async () => { await gw.close(); for (const x of [...site, ...api]) await x.stop() })

  const root = await get(`${gw.url}/index.html`)
  const rootCookie = cookiePair(root, 'sy') as string
  // Only the `/` cookie so far (its Path covers /api): /api rejects it and issues its own.
  const apiFirst = await get(`${gw.url}/api/me`, rootCookie)
  const apiCookie = cookiePair(apiFirst, 'sy') as string
  t.equal(attributesOf(setCookieOf(apiFirst, 'sy') ?? '').path, '/api')
  // Now the browser sends both, in either order: both routes stay pinned, no new cookie.
  for (const header of [`${apiCookie}; ${rootCookie}`, `${rootCookie}; ${apiCookie}`]) {
    for (let i = 0; i < 5; i++) {
      const onApi = await get(`${gw.url}/api/me`, header)
      t.equal(onApi.backend, apiFirst.backend)
      t.same(onApi.setCookies, [])
      const onRoot = await get(`${gw.url}/page`, header)
      t.equal(onRoot.backend, root.backend)
      t.same(onRoot.setCookies, [])
    }
  }
})

t.test('two routes on one pool share its pins (the cookie is bound to the pool, scoped by Path)', async (t) => {
  const backends = await backendsNamed(['x1', 'x2', 'x3'])
  const gw = await startStickyGateway({
    pools: { p: { targets: backends.map((x) => x.url), sticky: { cookie: 'sy', sameSite: 'Lax' } } },
    routes: [{ path: '/one', pool: 'p' }, { path: '/two', pool: 'p' }]
  })
  t.teardown(async () => { await gw.close(); for (const x of backends) await x.stop() })
  const first = await get(`${gw.url}/one/a`)
  t.equal(attributesOf(setCookieOf(first, 'sy') ?? '').path, '/one')
  const answer = await get(`${gw.url}/two/b`, cookiePair(first, 'sy'))
  t.equal(answer.backend, first.backend, 'the same pool honours its own cookie on either route')
  t.same(answer.setCookies, [])
})
