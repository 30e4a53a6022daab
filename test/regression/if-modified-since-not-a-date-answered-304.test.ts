/**
 * Regression: the cache compared a client's `If-Modified-Since` with
 * `Date.parse`, which reads text that is no HTTP-date as some date ("-3000"
 * as the year 3000, "2099-01-01" as ISO): such a request got a bodiless 304
 * for content the client never had. RFC 9110 §13.1.3: a recipient ignores an
 * If-Modified-Since that is not a valid HTTP-date. Found with the public cache
 * test suite, whose client sent the raw offset "-3000" in that field.
 */
import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('an If-Modified-Since that is not an HTTP-date is ignored; a valid one still gets its 304', async (t) => {
  const lastModifiedMs = Date.now() - 86_400_000
  const backend = await scriptedBackend(() => ({ headers: { 'last-modified': new Date(lastModifiedMs).toUTCString(), 'cache-control': 'max-age=3600' }, body: 'the page' }))
  const gateway = await cachedGateway(t, backend)
  t.equal((await send(gateway.url, '/page')).status, 200)

  for (const notADate of ['-3000', '3000', '2099-01-01', 'Tue, 01 Dec 2099', 'yesterday']) {
    const res = await send(gateway.url, '/page', { headers: { 'if-modified-since': notADate } })
    t.equal(res.status, 200, `"${notADate}" is ignored: the full response`)
    t.equal(res.body, 'the page')
  }
  const later = new Date(lastModifiedMs + 3_600_000)
  const imf = await send(gateway.url, '/page', { headers: { 'if-modified-since': later.toUTCString() } })
  t.equal(imf.status, 304, 'a valid IMF-fixdate after Last-Modified: 304')
  t.equal(imf.body, '')
  const rfc850 = later.toUTCString().replace(/^(\w{3}), (\d{2}) (\w{3}) \d{2}(\d{2})/, (_m, _d, day: string, month: string, yy: string) => `${longDay(later)}, ${day}-${month}-${yy}`)
  t.equal((await send(gateway.url, '/page', { headers: { 'if-modified-since': rfc850 } })).status, 304, `the obsolete RFC 850 form too (${rfc850})`)
  const earlier = new Date(lastModifiedMs - 3_600_000).toUTCString()
  t.equal((await send(gateway.url, '/page', { headers: { 'if-modified-since': earlier } })).status, 200, 'modified since a valid earlier date: 200')
  t.equal(backend.hits, 1, 'all answered from the cache')
})

function longDay (date: Date): string {
  return ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][date.getUTCDay()] as string
}
