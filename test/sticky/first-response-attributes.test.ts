/**
 * The first response from a sticky pool sets its cookie with the right
 * attributes; a backend's own Set-Cookie headers are kept beside it.
 */
import t from 'tap'
import { startBackends, startBackend } from '../helpers/backend.js'
import { attributesOf, get, setCookieOf, startStickyGateway } from '../helpers/sticky.js'

t.test('defaults: HttpOnly, SameSite=Lax, Path = route prefix, no Secure over HTTP, a session cookie', async (t) => {
  const backends = await startBackends(2)
  const gw = await startStickyGateway({
    pools: { api: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy_api' } } },
    routes: [{ path: '/api', pool: 'api' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const first = await get(`${gw.url}/api/users`)
  t.equal(first.status, 200)
  const header = setCookieOf(first, 'sy_api')
  if (header === undefined) throw new Error('no sticky cookie on the first response')
  t.same(attributesOf(header), { path: '/api', httponly: true, samesite: 'Lax' })
  t.equal(first.setCookies.length, 1, 'one cookie')
})

t.test('maxAgeSeconds and sameSite from the pool config', async (t) => {
  const backends = await startBackends(2)
  const gw = await startStickyGateway({
    pools: { web: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy_web', maxAgeSeconds: 3600, sameSite: 'Strict' } } },
    routes: [{ path: '/', pool: 'web' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const header = setCookieOf(await get(`${gw.url}/page`), 'sy_web') ?? ''
  t.same(attributesOf(header), { path: '/', httponly: true, samesite: 'Strict', 'max-age': '3600' })
})

t.test('SameSite=None always carries Secure (browsers drop it otherwise)', async (t) => {
  const backends = await startBackends(1)
  const gw = await startStickyGateway({
    pools: { p: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy', sameSite: 'None' } } },
    routes: [{ path: '/', pool: 'p' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  t.same(attributesOf(setCookieOf(await get(`${gw.url}/`), 'sy') ?? ''), { path: '/', httponly: true, samesite: 'None', secure: true })
})

t.test("the backend's own Set-Cookie headers are kept, ours appended", async (t) => {
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    res.setHeader('set-cookie', ['app_session=abc; Path=/; HttpOnly', 'theme=dark; Path=/'])
    res.end(JSON.stringify({ backend: 'b1' }))
  })
  const gw = await startStickyGateway({
    pools: { p: { targets: [backend.url], sticky: { cookie: 'sy' } } },
    routes: [{ path: '/', pool: 'p' }]
  })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const answer = await get(`${gw.url}/`)
  t.equal(answer.setCookies.length, 3)
  t.equal(answer.setCookies[0], 'app_session=abc; Path=/; HttpOnly')
  t.equal(answer.setCookies[1], 'theme=dark; Path=/')
  t.ok(answer.setCookies[2]?.startsWith('sy='), 'the sticky cookie comes last')
})

t.test('Secure from X-Forwarded-Proto: https only when the peer is a trusted proxy', async (t) => {
  const backends = await startBackends(1)
  const pools = { p: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy', sameSite: 'Lax' } } }
  const trusted = await startStickyGateway({ pools, routes: [{ path: '/', pool: 'p' }], trustProxy: '127.0.0.1' })
  const untrusted = await startStickyGateway({ pools, routes: [{ path: '/', pool: 'p' }] })
  t.teardown(async () => { await trusted.close(); await untrusted.close(); for (const b of backends) await b.stop() })
  const https = { 'x-forwarded-proto': 'https' }
  t.equal(attributesOf(setCookieOf(await get(`${trusted.url}/`, undefined, https), 'sy') ?? '').secure, true, 'trusted proxy says https')
  t.equal(attributesOf(setCookieOf(await get(`${trusted.url}/`, undefined, { 'x-forwarded-proto': 'http' }), 'sy') ?? '').secure, undefined, 'trusted proxy says http')
  t.equal(attributesOf(setCookieOf(await get(`${untrusted.url}/`, undefined, https), 'sy') ?? '').secure, undefined, 'untrusted peer is not believed')
})

t.test('a pool without sticky config sets no cookie', async (t) => {
  const backends = await startBackends(2)
  const gw = await startStickyGateway({ pools: { p: { targets: backends.map((b) => b.url) } }, routes: [{ path: '/', pool: 'p' }] })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  t.same((await get(`${gw.url}/`)).setCookies, [])
})
