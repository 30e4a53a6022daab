/**
 * GATEWAY_HTTP_REDIRECT_PORT: a plain-HTTP listener that answers every request
 * with a redirect to HTTPS (301 GET/HEAD, 308 otherwise) and forwards nothing.
 */
import t from 'tap'
import type { AddressInfo } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/http.js'
import { makeCertificate } from '../helpers/tls.js'

t.test('plain HTTP redirects to HTTPS', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const backend = await startBackend('b1')
  t.teardown(backend.stop)
  const gateway = await startAppGateway({
    GATEWAY_UPSTREAMS: backend.url,
    GATEWAY_TLS_CERT: certificate.certPath,
    GATEWAY_TLS_KEY: certificate.keyPath,
    GATEWAY_HTTP_REDIRECT_PORT: '0'
  })
  t.teardown(gateway.close)
  const httpsPort = (gateway.app.server.address() as AddressInfo).port
  const redirectServer = gateway.app.switchyardTls.redirectServer
  t.ok(redirectServer?.listening, 'redirect listener is up')
  const redirectPort = (redirectServer?.address() as AddressInfo).port
  const base = `http://127.0.0.1:${redirectPort}`

  const get = await fetch(`${base}/a/b?c=d`, { redirect: 'manual' })
  t.equal(get.status, 301)
  t.equal(get.headers.get('location'), `https://127.0.0.1:${httpsPort}/a/b?c=d`)
  const named = await rawRequest(redirectPort, 'GET /x HTTP/1.1\r\nHost: example.test:8080\r\nConnection: close\r\n\r\n')
  t.match(named, `location: https://example.test:${httpsPort}/x\r\n`, 'the client\'s host name is kept, the port becomes the HTTPS one')

  const post = await fetch(`${base}/form`, { method: 'POST', body: 'x=1', redirect: 'manual' })
  t.equal(post.status, 308, 'a POST is redirected with 308 so its method and body are kept')
  t.equal(post.headers.get('location'), `https://127.0.0.1:${httpsPort}/form`)

  const badHost = await rawRequest(redirectPort, 'GET / HTTP/1.1\r\nHost: evil.test/<x>\r\n\r\n')
  t.match(badHost, /^HTTP\/1\.1 400 /, 'a Host that is no host name gets 400, not a redirect')
  const protocolRelative = await rawRequest(redirectPort, 'GET //evil.test/x HTTP/1.1\r\nHost: good.test\r\nConnection: close\r\n\r\n')
  t.match(protocolRelative, /location: https:\/\/good\.test:\d+\/\r\n/i, 'a path starting with // cannot change the redirect host')

  t.equal(backend.hits, 0, 'nothing was forwarded from the plain listener')
  t.equal(get.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP')
})

t.test('the redirect port needs TLS', async (t) => {
  await t.rejects(startAppGateway({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:1', GATEWAY_HTTP_REDIRECT_PORT: '0' }), /GATEWAY_HTTP_REDIRECT_PORT needs GATEWAY_TLS_CERT/)
})
