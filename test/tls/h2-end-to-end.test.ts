/**
 * TLS termination with HTTP/2: a node:http2 client negotiates h2 by ALPN, the
 * request is forwarded over HTTP/1.1 to the backend with X-Forwarded-* taken
 * from the h2 request (`:authority` as host), no pseudo-header reaches the
 * backend, and no connection-specific header of the backend reaches the client.
 */
import t from 'tap'
import { connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { makeCertificate } from '../helpers/tls.js'
import { h2Request } from '../helpers/h2.js'

t.test('h2 over TLS end to end, forwarded as HTTP/1.1', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const backend = await startBackend('b1', (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json',
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'x-hop': 'named in Connection',
        server: 'backend-server/1.0',
        'x-powered-by': 'Express'
      })
      res.end(JSON.stringify({ httpVersion: req.httpVersion, method: req.method, url: req.url, body: Buffer.concat(chunks).toString() }))
    })
  })
  t.teardown(backend.stop)
  const gateway = await startAppGateway({
    GATEWAY_UPSTREAMS: backend.url,
    GATEWAY_TLS_CERT: certificate.certPath,
    GATEWAY_TLS_KEY: certificate.keyPath
  })
  t.teardown(gateway.close)
  const port = (gateway.app.server.address() as AddressInfo).port

  const session = connect(`https://localhost:${port}`, { ca: certificate.cert })
  t.teardown(() => session.close())
  await new Promise<void>((resolve, reject) => { session.once('connect', () => resolve()); session.once('error', reject) })
  t.equal(session.alpnProtocol, 'h2', 'HTTP/2 negotiated by ALPN')

  const get = await h2Request(session, { ':method': 'GET', ':path': '/things?x=1', 'accept-encoding': 'identity' })
  t.equal(get.status, 200)
  const seen = JSON.parse(get.body.toString()) as { httpVersion: string, url: string }
  t.equal(seen.httpVersion, '1.1', 'the backend is spoken to in HTTP/1.1')
  t.equal(seen.url, '/things?x=1')
  const headers = backend.lastHeaders ?? {}
  t.equal(headers['x-forwarded-proto'], 'https')
  t.equal(headers['x-forwarded-host'], `localhost:${port}`, ':authority becomes X-Forwarded-Host')
  t.equal(headers['x-forwarded-for'], '127.0.0.1')
  t.equal(headers.host, new URL(backend.url).host, 'Host names the backend')
  t.same(Object.keys(headers).filter((name) => name.startsWith(':')), [], 'no pseudo-header forwarded')
  for (const name of ['connection', 'keep-alive', 'x-hop', 'transfer-encoding', 'server', 'x-powered-by']) {
    t.equal(get.headers[name], undefined, `${name} not in the h2 response`)
  }

  const body = 'a'.repeat(100_000)
  const post = await h2Request(session, { ':method': 'POST', ':path': '/upload', 'content-type': 'text/plain' }, body)
  t.equal(post.status, 200)
  const echoed = JSON.parse(post.body.toString()) as { method: string, body: string }
  t.equal(echoed.method, 'POST')
  t.equal(echoed.body.length, body.length, 'request body streamed through byte for byte')
  t.equal(echoed.body, body)

  // Several streams at once on the same connection.
  const parallel = await Promise.all([1, 2, 3, 4, 5].map(async (i) => await h2Request(session, { ':method': 'GET', ':path': `/p/${i}` })))
  t.same(parallel.map((r) => r.status), [200, 200, 200, 200, 200])
  t.same(parallel.map((r) => (JSON.parse(r.body.toString()) as { url: string }).url), ['/p/1', '/p/2', '/p/3', '/p/4', '/p/5'])
})
