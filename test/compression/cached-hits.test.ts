/**
 * Compression and the response cache: the cache stores the identity body
 * (every client gets the encoding it asked for from one entry), and a hit is
 * compressed once per encoding: later hits reuse the kept variant.
 */
import t from 'tap'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'

const BODY = Buffer.from(JSON.stringify({ rows: Array.from({ length: 500 }, (_, i) => ({ id: i, name: `row ${i}` })) }))

t.test('cached entries are compressed once per encoding', async (t) => {
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length, 'cache-control': 'public, max-age=300' })
    res.end(BODY)
  })
  t.teardown(backend.stop)
  const gateway = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_CACHE: 'memory' })
  t.teardown(gateway.close)
  const stats = gateway.app.switchyardCompression
  const url = `${gateway.url}/rows`

  const miss = await getRaw(url, { 'accept-encoding': 'gzip' })
  t.match(miss.headers['cache-status'], /stored/, 'first request: a miss, stored')
  t.equal(miss.headers['content-encoding'], 'gzip', 'the miss is compressed on its way')
  t.ok(gunzipSync(miss.body).equals(BODY))

  const identity = await getRaw(url)
  t.match(identity.headers['cache-status'], /hit/)
  t.equal(identity.headers['content-encoding'], undefined, 'the entry is stored as identity')
  t.ok(identity.body.equals(BODY))
  t.match(identity.headers.vary, /accept-encoding/)

  const hit1 = await getRaw(url, { 'accept-encoding': 'gzip' })
  t.match(hit1.headers['cache-status'], /hit/)
  t.equal(hit1.headers['content-encoding'], 'gzip')
  t.ok(gunzipSync(hit1.body).equals(BODY))
  t.equal(stats.variantsKept, 1, 'the gzip variant is kept')
  t.equal(stats.variantsReused, 0)

  const hit2 = await getRaw(url, { 'accept-encoding': 'gzip' })
  t.equal(stats.variantsReused, 1, 'the next gzip hit reuses it')
  t.ok(hit2.body.equals(hit1.body), 'same bytes as the first compressed hit')
  t.equal(hit2.headers['content-length'], String(hit2.body.length))

  const br = await getRaw(url, { 'accept-encoding': 'br' })
  t.equal(br.headers['content-encoding'], 'br')
  t.ok(brotliDecompressSync(br.body).equals(BODY))
  t.equal(stats.variantsKept, 2, 'one variant per Accept-Encoding value')

  t.equal(backend.hits, 1, 'the backend was asked once')
})
