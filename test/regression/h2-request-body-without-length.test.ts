/**
 * Regression (found while hardening issue 10 on the v2 forwarder): an
 * HTTP/2 request body sent without `Content-Length` (HTTP/2 needs neither it
 * nor `Transfer-Encoding`) was dropped — the backend saw an empty POST. The
 * body is forwarded unless the request's HEADERS frame ended its stream.
 */
import t from 'tap'
import { connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { makeCertificate } from '../helpers/tls.js'
import { h2Request } from '../helpers/h2.js'

t.test('an h2 POST without Content-Length reaches the backend with its body; a bodiless GET stays bodiless', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const seen: Array<{ method: string, bytes: number, sha: string, te: string | undefined, length: string | undefined }> = []
  const backend = await startBackend('b', (req, res) => {
    const hash = createHash('sha256')
    let bytes = 0
    req.on('data', (c: Buffer) => { bytes += c.length; hash.update(c) })
    req.on('end', () => {
      seen.push({ method: req.method as string, bytes, sha: hash.digest('hex'), te: req.headers['transfer-encoding'], length: req.headers['content-length'] })
      res.end('ok')
    })
  })
  const config = writeConfigFile({ pools: { p: { targets: [backend.url] } }, routes: [{ path: '/', pool: 'p' }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_TLS_CERT: certificate.certPath, GATEWAY_TLS_KEY: certificate.keyPath })
  const session = connect(`https://localhost:${(gw.app.server.address() as AddressInfo).port}`, { ca: certificate.cert })
  t.teardown(async () => { session.close(); await gw.close(); await backend.stop() })

  const body = randomBytes(300_000)
  const post = await h2Request(session, { ':method': 'POST', ':path': '/upload', 'content-type': 'application/octet-stream' }, body)
  t.equal(post.status, 200)
  t.equal(seen[0]?.bytes, body.length, 'the backend got every byte')
  t.equal(seen[0]?.sha, createHash('sha256').update(body).digest('hex'), 'byte for byte')
  t.equal(seen[0]?.te, 'chunked', 'sent chunked (no length was given)')

  const get = await h2Request(session, { ':method': 'GET', ':path': '/plain' })
  t.equal(get.status, 200)
  t.equal(seen[1]?.bytes, 0, 'a GET whose HEADERS ended the stream has no body')
  t.equal(seen[1]?.te, undefined, 'and is not sent chunked')
})
