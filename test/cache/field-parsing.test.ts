import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

// RFC 9111 §5.3, §5.1, §5.2 and RFC 9213 against a real backend: the cache reuses only what the
// fields, read strictly, allow.
t.test('strict field parsing: invalid Expires, Age lists, directive case, targeted fields, Set-Cookie', async (t) => {
  const date = (): string => new Date().toUTCString()
  const responses: Record<string, Record<string, string>> = {
    '/expires-utc': { expires: 'Thu, 18 Aug 2050 02:01:18 UTC' },
    '/expires-rfc850': { expires: 'Thursday, 18-Aug-50 02:01:18 GMT' },
    '/age-list': { 'cache-control': 'max-age=3600', age: '7200, 0' },
    '/no-cache-case': { 'cache-control': 'max-age=10000, No-CaChE' },
    '/max-age-case': { 'cache-control': 'MaX-aGe=3600' },
    '/cdn-short': { 'cache-control': 'max-age=3600', 'cdn-cache-control': 'max-age=0' },
    '/cdn-long': { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=3600' },
    '/surrogate-no-store': { 'cache-control': 'max-age=3600', 'surrogate-control': 'no-store' },
    '/status-500': { 'cache-control': 'max-age=3600' },
    '/cookie': { 'cache-control': 'max-age=3600', 'set-cookie': 'a=b' }
  }
  const backend = await scriptedBackend((req, hit) => ({
    status: req.url === '/status-500' ? 500 : 200,
    headers: { date: date(), ...responses[req.url ?? ''] },
    body: `b${hit}`
  }))
  const gateway = await cachedGateway(t, backend)
  for (const path of Object.keys(responses)) await send(gateway.url, path)
  const second: Record<string, Awaited<ReturnType<typeof send>>> = {}
  for (const path of Object.keys(responses)) second[path] = await send(gateway.url, path)
  const hits = (path: string): number | undefined => backend.hitsByPath.get(path)
  t.equal(hits('/expires-utc'), 2, 'an Expires in another zone is invalid: already expired')
  t.equal(hits('/expires-rfc850'), 1, 'an RFC 850 Expires in the future is fresh')
  t.equal(hits('/age-list'), 2, 'Age "7200, 0" counts as 7200: older than max-age')
  t.equal(hits('/no-cache-case'), 2, 'No-CaChE is no-cache')
  t.equal(hits('/max-age-case'), 1, 'MaX-aGe is max-age')
  t.equal(hits('/cdn-short'), 2, 'CDN-Cache-Control max-age=0 wins over Cache-Control')
  t.equal(hits('/cdn-long'), 1, 'CDN-Cache-Control max-age wins over Cache-Control no-store')
  t.equal(hits('/surrogate-no-store'), 2, 'Surrogate-Control no-store wins over Cache-Control')
  t.equal(hits('/status-500'), 1, 'a 500 with explicit freshness is stored')
  t.equal(second['/status-500']?.status, 500)
  t.equal(hits('/cookie'), 2, 'a response with Set-Cookie is not stored by default')
  t.equal(second['/cookie']?.headers['set-cookie']?.[0], 'a=b', 'its cookie reaches the client')
})

t.test('a route with cache.storeSetCookie stores a response with Set-Cookie and replays the cookie', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ status: 200, headers: { date: new Date().toUTCString(), 'cache-control': 'max-age=3600', 'set-cookie': 'a=b' }, body: `b${hit}` }))
  const gateway = await cachedGateway(t, backend, {}, { storeSetCookie: true })
  await send(gateway.url, '/cookie')
  const second = await send(gateway.url, '/cookie')
  t.equal(backend.hitsByPath.get('/cookie'), 1, 'stored')
  t.equal(second.headers['set-cookie']?.[0], 'a=b', 'Set-Cookie sent with the hit')
})
