/**
 * The header size limit (431) and the headers timeout (408 and close) hold on
 * the HTTPS listener too (HTTP/1.1 by ALPN on the HTTP/2 server), not only on
 * plain HTTP.
 */
import t from 'tap'
import { connect } from 'node:tls'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { makeCertificate } from '../helpers/tls.js'

async function tlsExchange (port: number, raw: string, trickle: boolean, timeoutMs: number): Promise<{ text: string, ms: number }> {
  return await new Promise((resolve) => {
    const started = Date.now()
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
    const chunks: Buffer[] = []
    let timer: NodeJS.Timeout | undefined
    const done = (): void => { clearInterval(timer); clearTimeout(limit); resolve({ text: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - started }) }
    const limit = setTimeout(() => { socket.destroy() }, timeoutMs)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', done)
    socket.once('secureConnect', () => {
      if (!trickle) { socket.write(raw); return }
      let sent = 0
      timer = setInterval(() => { if (sent < raw.length && !socket.destroyed) socket.write(raw[sent++] as string) }, 300)
    })
  })
}

t.test('431 and the headers timeout over HTTPS', async (t) => {
  const cert = makeCertificate()
  const backend = await startBackend('b')
  const gw = await startAppGateway({
    GATEWAY_UPSTREAMS: backend.url,
    GATEWAY_TLS_CERT: cert.certPath,
    GATEWAY_TLS_KEY: cert.keyPath,
    GATEWAY_MAX_HEADER_BYTES: '4096',
    GATEWAY_HEADERS_TIMEOUT_MS: '1000',
    GATEWAY_REQUEST_TIMEOUT_MS: '5000'
  })
  t.teardown(async () => { await gw.close(); await backend.stop(); cert.remove() })
  const port = Number(new URL(gw.url).port)

  const ok = await tlsExchange(port, `GET /x HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(2000)}\r\nConnection: close\r\n\r\n`, false, 5000)
  t.match(ok.text, /^HTTP\/1\.1 200 /, 'a 2 KB header passes over HTTPS')
  const big = await tlsExchange(port, `GET /x HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(6000)}\r\n\r\n`, false, 5000)
  t.match(big.text, /^HTTP\/1\.1 431 /, 'a 6 KB header → 431 over HTTPS')
  const slow = await tlsExchange(port, 'GET /slow HTTP/1.1\r\nHost: a\r\nX-Trickle: ' + 'a'.repeat(100), true, 8000)
  t.ok(slow.ms < 5000, `a slow header sender is cut off over HTTPS (after ${slow.ms} ms)`)
  t.equal(backend.hits, 1, 'only the good request reached the backend')
})
