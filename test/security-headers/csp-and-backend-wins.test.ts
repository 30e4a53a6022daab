/**
 * GATEWAY_CSP sets a Content-Security-Policy; a bad one stops the start.
 * GATEWAY_SECURITY_HEADERS_BACKEND_WINS lets a backend's own value of the
 * listed headers through (the gateway's value stays the default for the rest,
 * and for backends that don't send one).
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'

t.test('CSP and headers where the backend wins', async (t) => {
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    const headers: Record<string, string> = { 'content-type': 'text/html', 'x-content-type-options': 'custom' }
    if (req.url === '/framed') {
      headers['x-frame-options'] = 'DENY'
      headers['content-security-policy'] = "frame-ancestors 'none'"
    }
    res.writeHead(200, headers)
    res.end('<p>hi</p>')
  })
  t.teardown(backend.stop)
  const gateway = await startAppGateway({
    GATEWAY_UPSTREAMS: backend.url,
    GATEWAY_CSP: "default-src 'self'; img-src 'self' data:",
    GATEWAY_SECURITY_HEADERS_BACKEND_WINS: 'X-Frame-Options, content-security-policy'
  })
  t.teardown(gateway.close)

  const plain = await getRaw(`${gateway.url}/plain`)
  t.equal(plain.headers['content-security-policy'], "default-src 'self';img-src 'self' data:", 'the configured CSP')
  t.equal(plain.headers['x-frame-options'], 'SAMEORIGIN', 'the gateway default where the backend sent none')
  t.equal(plain.headers['x-content-type-options'], 'nosniff', 'not listed: the gateway\'s value wins')

  const framed = await getRaw(`${gateway.url}/framed`)
  t.equal(framed.headers['x-frame-options'], 'DENY', 'listed: the backend\'s value wins')
  t.equal(framed.headers['content-security-policy'], "frame-ancestors 'none'", 'listed: the backend\'s CSP wins')
  t.equal(framed.headers['x-content-type-options'], 'nosniff')
})

t.test('a CSP helmet refuses stops the start', async (t) => {
  await t.rejects(startAppGateway({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:1', GATEWAY_CSP: "default-src 'self'; bad_directive! x" }), { name: 'ConfigError', message: /^GATEWAY_CSP / })
  await t.rejects(startAppGateway({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:1', GATEWAY_SECURITY_HEADERS_BACKEND_WINS: 'x frame' }), /GATEWAY_SECURITY_HEADERS_BACKEND_WINS must be comma-separated header names/)
})
