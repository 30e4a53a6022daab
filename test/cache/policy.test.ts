import t from 'tap'
import { assessResponse, evaluateReuse, parseCacheControl, conditionalMatches, requestDirectives } from '../../plugins/cache/policy.js'
import type { CachedResponse } from '../../plugins/cache/entry.js'
import { parseVary, primaryKey, primaryKeyOfUrl, secondaryKey } from '../../plugins/cache/key.js'
import { decodeItem, encodeItem } from '../../plugins/cache/entry.js'

const options = { heuristicFraction: 0.1 }
const now = Date.parse('2025-01-01T00:00:00Z')
const request = { method: 'GET', url: '/x', headers: {}, sentAt: now }

function stored (headers: Record<string, string>, status = 200): CachedResponse {
  const assessed = assessResponse(request, status, { date: new Date(now).toUTCString(), ...headers }, now, options)
  if (!assessed.storable) throw new Error(`not storable: ${assessed.reason}`)
  return { ...assessed.response, body: Buffer.from('b') }
}

t.test('Cache-Control parsing: quoted values, first occurrence wins, case-insensitive names', async (t) => {
  t.same(parseCacheControl('Max-Age=5, max-age=1, ext="a, b", no-cache'), { 'max-age': '5', ext: 'a, b', 'no-cache': true })
  t.same(parseCacheControl('max-age =5, s-maxage= 6, a=\'1\', No-CaChE'), { a: "'1'", 'no-cache': true }, 'members off the grammar are ignored')
  t.same(parseCacheControl(['max-age=5', 'max-age=1']), { 'max-age': '5' }, 'first of several lines')
  t.same(requestDirectives({ pragma: 'no-cache' }), { 'no-cache': true })
  t.same(requestDirectives({ pragma: 'no-cache', 'cache-control': 'max-age=5' }), { 'max-age': '5' }, 'Pragma ignored when Cache-Control is present')
})

t.test('freshness: s-maxage over max-age, proxy-revalidate keeps the lifetime, must-revalidate stops stale reuse', async (t) => {
  t.equal(stored({ 'cache-control': 'max-age=10, s-maxage=100' }).lifetime, 100)
  const pr = stored({ 'cache-control': 'max-age=100, proxy-revalidate' })
  t.equal(pr.lifetime, 100)
  t.equal(evaluateReuse(pr, undefined, now + 50_000), 'fresh')
  t.equal(evaluateReuse(pr, { 'max-stale': true }, now + 200_000), 'revalidate-stale')
  const plain = stored({ 'cache-control': 'max-age=10, stale-while-revalidate=30' })
  t.equal(evaluateReuse(plain, undefined, now + 20_000), 'stale-while-revalidate')
  t.equal(evaluateReuse(plain, undefined, now + 50_000), 'revalidate-stale')
  t.equal(evaluateReuse(plain, { 'max-stale': '100' }, now + 50_000), 'stale-allowed')
  t.equal(evaluateReuse(plain, { 'min-fresh': '20' }, now + 1000), 'revalidate-request')
  t.equal(evaluateReuse(plain, { 'no-cache': true }, now), 'revalidate-request')
})

t.test('storability', async (t) => {
  const reason = (headers: Record<string, string>, status = 200, reqHeaders = {}): string => {
    const a = assessResponse({ ...request, headers: reqHeaders }, status, headers, now, options)
    return a.storable ? 'stored' : a.reason
  }
  t.equal(reason({ 'cache-control': 'no-store' }), 'no-store')
  t.equal(reason({ 'cache-control': 'private, max-age=9' }), 'private')
  t.equal(reason({ 'cache-control': 'max-age=9' }, 200, { authorization: 'x' }), 'authorization')
  t.equal(reason({ 'cache-control': 's-maxage=9' }, 200, { authorization: 'x' }), 'stored')
  t.equal(reason({ vary: '*', 'cache-control': 'max-age=9' }), 'vary-star')
  t.equal(reason({}, 206), 'status-206')
  t.equal(reason({ 'cache-control': 'max-age=9', 'set-cookie': 'a=b' }), 'set-cookie', 'a response with Set-Cookie is not stored by default')
  const withCookies = assessResponse({ ...request, headers: {} }, 200, { 'cache-control': 'max-age=9', 'set-cookie': 'a=b' }, now, { ...options, storeSetCookie: true })
  t.equal(withCookies.storable && withCookies.response.headers['set-cookie'], 'a=b', 'storeSetCookie: true stores it like any field (RFC 9111 §3.1, §7.3)')
  t.equal(reason({ 'cache-control': 'max-age=9' }, 500), 'stored', 'any final status with explicit freshness')
  t.equal(reason({ 'last-modified': new Date(now - 10_000).toUTCString() }, 599), 'status-599', 'no heuristic freshness for an unknown status')
  t.equal(reason({ 'cache-control': 'max-age=9, no-store, must-understand' }, 200), 'stored', 'must-understand + understood status ignores no-store')
  t.equal(reason({ 'cache-control': 'max-age=9, no-store, must-understand' }, 599), 'must-understand')
  t.equal(reason({ 'cache-control': 'max-age=9' }, 200, { 'cache-control': 'no-store' }), 'no-store', 'request no-store')
})

t.test('freshness lifetime from the effective fields', async (t) => {
  const date = new Date(now).toUTCString()
  const life = (headers: Record<string, string | string[]>): number => stored({ date, ...headers } as Record<string, string>).lifetime
  t.equal(life({ expires: new Date(now + 100_000).toUTCString() }), 100)
  for (const bad of ['0', 'Thu, 18 Aug 2050 02:01:18 UTC', 'Thu 18 Aug 2050 02:01:18 GMT', 'Thu, 18  Aug  2050 02:01:18 GMT', 'Thu, 18-Aug-2050 02:01:18 GMT', 'Thu, 18 Aug 2050 2:01:18 GMT', 'Thu, 18 Aug 50 02:01:18 GMT']) {
    t.equal(life({ expires: bad }), 0, `invalid Expires "${bad}" is already expired`)
  }
  t.ok(life({ expires: 'Thursday, 18-Aug-50 02:01:18 GMT' }) > 0, 'RFC 850 date')
  t.ok(life({ expires: 'Thu Aug  8 02:01:18 2050' }) > 0, 'asctime date')
  t.ok(life({ expires: 'THU, 18 AUG 2050 02:01:18 gmt' }) > 0, 'names in any case')
  t.equal(life({ 'cache-control': 'max-age=99999999999' }), 2147483648, 'delta-seconds capped at 2^31')
  t.equal(life({ 'cache-control': 'max-age=-5', expires: new Date(now + 100_000).toUTCString() }), 0, 'an invalid max-age is stale')
  t.equal(life({ 'cache-control': 'max-age=1', 'cdn-cache-control': 'max-age=600' }), 600, 'CDN-Cache-Control wins')
  t.equal(life({ 'cache-control': 'max-age=600', 'cdn-cache-control': 'max-age=600, &&' }), 600, 'an invalid CDN-Cache-Control is ignored')
  t.equal(life({ 'cache-control': 'max-age=600', 'surrogate-control': 'max-age=5' }), 5, 'Surrogate-Control wins')
  t.equal(life({ 'cache-control': 'max-age=600', 'surrogate-control': 'max-age=5;other-cdn' }), 600, 'Surrogate-Control aimed elsewhere is ignored')
  t.equal(life({ 'cache-control': 'max-age=600', 'surrogate-control': 'max-age=5;switchyard' }), 5)
  const aged = (age: string | string[]): number => stored({ date, 'cache-control': 'max-age=60', age } as Record<string, string>).initialAge
  t.equal(Math.round(aged('30, 0')), 30, 'first member of an Age list')
  t.equal(Math.round(aged(['0', '30'])), 0, 'first Age line')
  t.equal(Math.round(aged('abc')), 0, 'invalid Age ignored')
})

t.test('conditional requests against a stored response', async (t) => {
  const entry = stored({ 'cache-control': 'max-age=9', etag: 'W/"1"', 'last-modified': new Date(now - 1000).toUTCString() })
  t.ok(conditionalMatches(entry, { 'if-none-match': '"0", "1"' }))
  t.notOk(conditionalMatches(entry, { 'if-none-match': '"2"', 'if-modified-since': new Date(now).toUTCString() }), 'If-None-Match wins over If-Modified-Since')
  t.ok(conditionalMatches(entry, { 'if-modified-since': new Date(now).toUTCString() }))
})

t.test('keys and the binary encoding', async (t) => {
  t.equal(primaryKey('http', 'Example.COM:80', '/a?b=1'), 'http://example.com/a?b=1')
  t.equal(primaryKeyOfUrl('https://example.com:443/a'), 'https://example.com/a')
  t.same(parseVary('Accept-Encoding, accept-language ,ACCEPT-ENCODING'), ['accept-encoding', 'accept-language'])
  t.same(parseVary('a, *'), ['*'])
  t.equal(secondaryKey(['accept'], { accept: 'a,  b' }), secondaryKey(['accept'], { accept: 'a , b' }))
  const entry = stored({ 'cache-control': 'max-age=9' })
  entry.body = Buffer.from([0, 255, 10, 13])
  const decoded = decodeItem(encodeItem(entry))
  t.ok(decoded?.kind === 'response' && decoded.body.equals(entry.body), 'binary body intact')
  t.same(decoded?.kind === 'response' ? decoded.headers : undefined, entry.headers)
  t.equal(decodeItem(Buffer.from('xx')), undefined)
})
