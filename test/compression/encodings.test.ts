/**
 * Proxied responses are compressed with br, gzip or deflate as the client's
 * Accept-Encoding (with q-values) asks, decode to the backend's exact bytes,
 * carry `Vary: accept-encoding`, and lose their now-wrong Content-Length.
 */
import t from 'tap'
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'

// Compressible but not trivially so: JSON with random hex inside.
const BODY = Buffer.from(JSON.stringify({ items: Array.from({ length: 400 }, (_, i) => ({ i, v: randomBytes(8).toString('hex') })) }))

const decoders: Record<string, (b: Buffer) => Buffer> = { br: brotliDecompressSync, gzip: gunzipSync, deflate: inflateSync }

t.test('br, gzip and deflate by Accept-Encoding', async (t) => {
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': BODY.length, etag: '"v1"', vary: 'Origin' })
    res.end(BODY)
  })
  t.teardown(backend.stop)
  const gateway = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(gateway.close)

  const cases: Array<[string, string | undefined]> = [
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['gzip, deflate, br', 'br'],
    ['gzip;q=1.0, br;q=0.5', 'gzip'],
    ['br;q=0, gzip;q=0.2, deflate;q=0.1', 'gzip'],
    ['deflate, gzip;q=0.9', 'deflate'],
    ['identity', undefined],
    ['compress', undefined]
  ]
  for (const [accept, expected] of cases) {
    const res = await getRaw(`${gateway.url}/data`, { 'accept-encoding': accept })
    t.equal(res.status, 200)
    t.equal(res.headers['content-encoding'], expected, `Accept-Encoding "${accept}" → ${String(expected)}`)
    t.match(res.headers.vary, /^Origin, accept-encoding$/, 'Vary keeps the backend\'s and adds accept-encoding')
    if (expected === undefined) {
      t.ok(res.body.equals(BODY), 'identity body untouched')
      t.equal(res.headers['content-length'], String(BODY.length))
      t.equal(res.headers.etag, '"v1"', 'strong ETag kept on identity')
      continue
    }
    t.ok(res.body.length < BODY.length * 0.8, `${expected} is smaller (${res.body.length} < ${BODY.length})`)
    t.ok((decoders[expected] as (b: Buffer) => Buffer)(res.body).equals(BODY), `${expected} decodes byte-exact`)
    t.not(res.headers['content-length'], String(BODY.length), 'the identity Content-Length is gone')
    t.equal(res.headers.etag, 'W/"v1"', 'a strong ETag becomes weak on a compressed body')
  }

  const none = await getRaw(`${gateway.url}/data`)
  t.equal(none.headers['content-encoding'], undefined, 'no Accept-Encoding: identity')
  t.ok(none.body.equals(BODY))
  t.match(none.headers.vary, /accept-encoding/, 'Vary is there even when this client got identity')
})
