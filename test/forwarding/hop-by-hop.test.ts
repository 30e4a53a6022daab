/**
 * Hop-by-hop headers, and the headers a `Connection` header names, are not
 * forwarded in either direction (RFC 9110 §7.6.1).
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/http.js'

t.test('request direction: Connection, Keep-Alive, TE, Trailer, Upgrade, Proxy-* and Connection-named headers stripped', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = Number(new URL(gw.url).port)
  const response = await rawRequest(port, [
    'GET /x HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Connection: close, X-Secret-Hop',
    'X-Secret-Hop: must-not-pass',
    'Keep-Alive: timeout=5',
    'TE: gzip',
    'Trailer: X-Foo',
    'Proxy-Authorization: Basic Zm9vOmJhcg==',
    'Proxy-Connection: keep-alive',
    'X-End-To-End: kept',
    '', ''
  ].join('\r\n'))
  t.match(response, /^HTTP\/1\.1 200/)
  const seen = backend.lastHeaders ?? {}
  for (const name of ['x-secret-hop', 'keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection', 'upgrade']) {
    t.equal(seen[name], undefined, `${name} not forwarded`)
  }
  t.not(seen.connection, 'close, X-Secret-Hop', 'client Connection header not forwarded')
  t.equal(seen['x-end-to-end'], 'kept', 'end-to-end header forwarded')
})

t.test('response direction: backend hop-by-hop and Connection-named headers stripped', async (t) => {
  const backend = await startBackend('b', (req, res) => {
    req.resume()
    res.setHeader('Connection', 'X-Backend-Hop')
    res.setHeader('X-Backend-Hop', 'must-not-pass')
    res.setHeader('Keep-Alive', 'timeout=99, max=1000')
    res.setHeader('Proxy-Authenticate', 'Basic')
    res.setHeader('Trailer', 'X-Checksum')
    res.setHeader('Upgrade', 'h2c')
    res.setHeader('X-End-To-End', 'kept')
    res.end('ok')
  })
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = Number(new URL(gw.url).port)
  const response = await rawRequest(port, `GET /x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)
  const head = response.split('\r\n\r\n')[0]?.toLowerCase() ?? ''
  t.match(head, /^http\/1\.1 200/)
  t.notMatch(head, /x-backend-hop/, 'Connection-named header stripped')
  t.notMatch(head, /keep-alive: timeout=99/, 'backend Keep-Alive stripped')
  t.notMatch(head, /proxy-authenticate/)
  t.notMatch(head, /\ntrailer:/)
  t.notMatch(head, /\nupgrade:/)
  t.match(head, /x-end-to-end: kept/)
})
