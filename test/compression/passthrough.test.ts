/**
 * What the backend already encoded, or forbade the gateway to transform, or
 * what is not worth compressing, reaches the client byte for byte.
 */
import t from 'tap'
import { gzipSync, brotliCompressSync } from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'

const PLAIN = Buffer.from('<p>hello</p>'.repeat(500))
const GZIPPED = gzipSync(PLAIN)
const BROTLI = brotliCompressSync(PLAIN)
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), randomBytes(4000)])

t.test('encoded, no-transform and incompressible bodies pass untouched', async (t) => {
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    switch (req.url) {
      case '/gzip': res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': GZIPPED.length, vary: 'accept-encoding' }); res.end(GZIPPED); break
      case '/br': res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'br' }); res.end(BROTLI); break
      case '/no-transform': res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'public, no-transform', 'content-length': PLAIN.length }); res.end(PLAIN); break
      case '/png': res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }); res.end(PNG); break
      default: res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': PLAIN.length }); res.end(PLAIN)
    }
  })
  t.teardown(backend.stop)
  const gateway = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(gateway.close)
  const accept = { 'accept-encoding': 'br, gzip, deflate' }

  const gz = await getRaw(`${gateway.url}/gzip`, accept)
  t.equal(gz.headers['content-encoding'], 'gzip', 'the backend\'s encoding stays')
  t.ok(gz.body.equals(GZIPPED), 'its bytes pass untouched (not re-encoded as br)')
  t.equal(gz.headers['content-length'], String(GZIPPED.length))

  const br = await getRaw(`${gateway.url}/br`, { 'accept-encoding': 'gzip' })
  t.equal(br.headers['content-encoding'], 'br')
  t.ok(br.body.equals(BROTLI))

  const nt = await getRaw(`${gateway.url}/no-transform`, accept)
  t.equal(nt.headers['content-encoding'], undefined, 'Cache-Control: no-transform is respected')
  t.ok(nt.body.equals(PLAIN))

  const png = await getRaw(`${gateway.url}/png`, accept)
  t.equal(png.headers['content-encoding'], undefined, 'image/png is not compressed')
  t.ok(png.body.equals(PNG))

  const bin = await getRaw(`${gateway.url}/bin`, accept)
  t.equal(bin.headers['content-encoding'], undefined, 'application/octet-stream is not compressed')
  t.ok(bin.body.equals(PLAIN))
})
