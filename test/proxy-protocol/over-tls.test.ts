/**
 * PROXY protocol in front of TLS termination: the header comes first on the
 * raw TCP connection, then the TLS handshake (a test certificate); both
 * HTTP/1.1 (ALPN fallback) and HTTP/2 see the carried client. A TLS
 * ClientHello without a header, or from an untrusted peer, is closed before
 * any handshake and reaches no backend.
 */
import t from 'tap'
import { connect as h2Connect } from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { makeCertificate } from '../helpers/tls.js'
import { h2Request } from '../helpers/h2.js'
import { connectWithHeader, getOver, proxyV1, proxyV2 } from '../helpers/proxy-protocol.js'

t.test('PROXY header, then TLS: HTTP/1.1 and h2 carry the client address', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const backend = await startBackend('b')
  t.teardown(backend.stop)
  const gw = await startAppGateway({
    GATEWAY_UPSTREAMS: backend.url,
    GATEWAY_TLS_CERT: certificate.certPath,
    GATEWAY_TLS_KEY: certificate.keyPath,
    GATEWAY_PROXY_PROTOCOL: '1',
    GATEWAY_TRUST_PROXY: '127.0.0.0/8'
  })
  t.teardown(gw.close)
  const port = (gw.app.server.address() as AddressInfo).port

  const handshake = async (raw: Socket, alpn: string): Promise<TLSSocket> => await new Promise((resolve, reject) => {
    const socket = tlsConnect({ socket: raw, ca: certificate.cert, servername: 'localhost', ALPNProtocols: [alpn] })
    socket.once('secureConnect', () => { resolve(socket) })
    socket.once('error', reject)
  })

  const h1 = await handshake(await connectWithHeader(port, proxyV1('203.0.113.50')), 'http/1.1')
  t.equal(h1.alpnProtocol, 'http/1.1')
  const res1 = await getOver(h1, '/one', {}, true)
  t.equal(res1.status, 200)
  const seen1 = JSON.parse(res1.body) as { headers: Record<string, string> }
  t.equal(seen1.headers['x-forwarded-for'], '203.0.113.50', 'HTTP/1.1 over TLS: v1 client reaches X-Forwarded-For')
  t.equal(seen1.headers['x-forwarded-proto'], 'https')

  const h2Tls = await handshake(await connectWithHeader(port, proxyV2('2001:db8:0:0:0:0:0:77')), 'h2')
  t.equal(h2Tls.alpnProtocol, 'h2')
  const session = h2Connect(`https://localhost:${port}`, { createConnection: () => h2Tls })
  t.teardown(() => session.close())
  const res2 = await h2Request(session, { ':path': '/two' })
  t.equal(res2.status, 200)
  const seen2 = JSON.parse(res2.body.toString()) as { headers: Record<string, string> }
  t.equal(seen2.headers['x-forwarded-for'], '2001:db8::77', 'h2: v2 client reaches X-Forwarded-For')
  t.equal(backend.hits, 2)
})

t.test('TLS without a header, or from an untrusted peer, is closed before the handshake', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const backend = await startBackend('b')
  t.teardown(backend.stop)
  const gw = await startAppGateway({
    GATEWAY_UPSTREAMS: backend.url,
    GATEWAY_TLS_CERT: certificate.certPath,
    GATEWAY_TLS_KEY: certificate.keyPath,
    GATEWAY_PROXY_PROTOCOL: 'on',
    GATEWAY_TRUST_PROXY: '127.0.0.1'
  })
  t.teardown(gw.close)
  const port = (gw.app.server.address() as AddressInfo).port

  const handshakeFails = async (raw: Socket): Promise<string> => await new Promise((resolve) => {
    const socket = tlsConnect({ socket: raw, ca: certificate.cert, servername: 'localhost' })
    socket.once('secureConnect', () => { socket.destroy(); resolve('handshake completed') })
    socket.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
  })
  const noHeader = await handshakeFails(await connectWithHeader(port, Buffer.alloc(0)))
  t.not(noHeader, 'handshake completed', `a ClientHello without a PROXY header is refused (${noHeader})`)
  const untrusted = await handshakeFails(await connectWithHeader(port, proxyV1('203.0.113.50'), '127.0.0.5'))
  t.not(untrusted, 'handshake completed', `an untrusted peer is refused (${untrusted})`)
  t.equal(backend.hits, 0, 'nothing reached the backend')
})
