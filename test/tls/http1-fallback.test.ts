/**
 * A client that offers only HTTP/1.1 over TLS (no h2 in ALPN, or no ALPN at
 * all) is served by the same HTTPS listener.
 */
import t from 'tap'
import { request, type RequestOptions } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { makeCertificate } from '../helpers/tls.js'

interface Answer { status: number, httpVersion: string, alpn: string | false | null, body: string, headers: Record<string, unknown> }

async function get (options: RequestOptions & { ALPNProtocols?: string[] }): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request({ ...options, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        httpVersion: res.httpVersion,
        alpn: (res.socket as TLSSocket).alpnProtocol,
        body,
        headers: res.headers
      }))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('HTTP/1.1 over TLS on the HTTP/2 listener', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const backend = await startBackend('b1')
  t.teardown(backend.stop)
  const gateway = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_TLS_CERT: certificate.certPath, GATEWAY_TLS_KEY: certificate.keyPath })
  t.teardown(gateway.close)
  const port = (gateway.app.server.address() as AddressInfo).port

  const withAlpn = await get({ host: '127.0.0.1', servername: 'localhost', port, path: '/one', ca: certificate.cert, ALPNProtocols: ['http/1.1'] })
  t.equal(withAlpn.status, 200)
  t.equal(withAlpn.alpn, 'http/1.1')
  t.equal(withAlpn.httpVersion, '1.1')
  const echoed = JSON.parse(withAlpn.body) as { url: string, headers: Record<string, string> }
  t.equal(echoed.url, '/one')
  t.equal(echoed.headers['x-forwarded-proto'], 'https')
  t.equal(echoed.headers['x-forwarded-host'], `127.0.0.1:${port}`)

  const noAlpn = await get({ host: '127.0.0.1', servername: 'localhost', port, path: '/two', ca: certificate.cert })
  t.equal(noAlpn.status, 200, 'a client without ALPN gets HTTP/1.1')
  t.equal(noAlpn.httpVersion, '1.1')
  t.equal((JSON.parse(noAlpn.body) as { url: string }).url, '/two')

  await t.rejects(get({ host: '127.0.0.1', port, path: '/', ALPNProtocols: ['http/1.1'] }), 'an untrusted client still checks our certificate (sanity: TLS is really on)')
})
