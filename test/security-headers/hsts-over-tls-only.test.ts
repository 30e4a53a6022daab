/**
 * Strict-Transport-Security goes out over TLS only (h2 and HTTP/1.1), never
 * over plain HTTP, and a backend's HSTS can't leak onto plain HTTP.
 * GATEWAY_HSTS_MAX_AGE=0 turns it off.
 */
import t from 'tap'
import { connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'
import { h2Request } from '../helpers/h2.js'
import { makeCertificate } from '../helpers/tls.js'

t.test('HSTS over TLS only', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain', 'strict-transport-security': 'max-age=1' })
    res.end('ok')
  })
  t.teardown(backend.stop)
  const tls = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_TLS_CERT: certificate.certPath, GATEWAY_TLS_KEY: certificate.keyPath })
  t.teardown(tls.close)
  const plain = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(plain.close)
  const noHsts = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_TLS_CERT: certificate.certPath, GATEWAY_TLS_KEY: certificate.keyPath, GATEWAY_HSTS_MAX_AGE: '0' })
  t.teardown(noHsts.close)

  const session = connect(`https://localhost:${(tls.app.server.address() as AddressInfo).port}`, { ca: certificate.cert })
  t.teardown(() => session.close())
  const h2 = await h2Request(session, { ':path': '/' })
  t.equal(h2.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', 'over TLS: the gateway\'s HSTS, not the backend\'s')
  t.equal(h2.headers['x-content-type-options'], 'nosniff', 'helmet headers over h2 too')

  const overHttp = await getRaw(`${plain.url}/`)
  t.equal(overHttp.headers['strict-transport-security'], undefined, 'none over plain HTTP, not even the backend\'s')
  t.equal(overHttp.headers['x-content-type-options'], 'nosniff')

  const off = connect(`https://localhost:${(noHsts.app.server.address() as AddressInfo).port}`, { ca: certificate.cert })
  t.teardown(() => off.close())
  const offRes = await h2Request(off, { ':path': '/' })
  t.equal(offRes.headers['strict-transport-security'], undefined, 'GATEWAY_HSTS_MAX_AGE=0: none')
})
