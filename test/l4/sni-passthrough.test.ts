/**
 * TLS passthrough by SNI: the listener reads the ClientHello's server name
 * without terminating TLS. Each TLS backend has its own self-signed
 * certificate, so the certificate the client sees says which backend
 * completed the handshake: `a.test` → A, `b.test` → B, `x.w.test` matches
 * `*.w.test` → B, no name or an unknown one → the listener's default pool.
 */
import t from 'tap'
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { makeCertificate, type TestCertificate } from '../helpers/tls.js'
import { startL4Gateway } from '../helpers/l4.js'

async function startTlsBackend (certificate: TestCertificate, name: string): Promise<{ server: TlsServer, url: string }> {
  const server = createTlsServer({ cert: certificate.cert, key: certificate.key }, (socket) => {
    socket.on('error', () => {})
    socket.end(name)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function handshake (port: number, servername: string | undefined): Promise<{ fingerprint: string, body: string }> {
  return await new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...(servername !== undefined ? { servername } : {}) })
    let body = ''
    let fingerprint = ''
    socket.setEncoding('utf8')
    socket.on('secureConnect', () => { fingerprint = socket.getPeerCertificate().fingerprint256 })
    socket.on('data', (chunk: string) => { body += chunk })
    socket.on('error', reject)
    socket.on('close', () => { resolve({ fingerprint, body }) })
  })
}

t.test('the server name picks the pool; the TLS session is the backend\'s own', async (t) => {
  const certs = { a: makeCertificate('a.test'), b: makeCertificate('b.test'), d: makeCertificate('default.test') }
  const a = await startTlsBackend(certs.a, 'A')
  const b = await startTlsBackend(certs.b, 'B')
  const d = await startTlsBackend(certs.d, 'D')
  const gw = await startL4Gateway({
    pools: { a: { targets: [a.url] }, b: { targets: [b.url] }, d: { targets: [d.url] } },
    tcp: [{ port: 0, pool: 'd', sni: { 'a.test': 'a', 'b.test': 'b', '*.w.test': 'b' } }]
  })
  t.teardown(async () => {
    await gw.close()
    for (const s of [a, b, d]) await new Promise((resolve) => s.server.close(resolve))
    for (const c of Object.values(certs)) c.remove()
  })
  const port = gw.tcpPort()
  const cases: Array<[string | undefined, TestCertificate, string]> = [
    ['a.test', certs.a, 'A'],
    ['b.test', certs.b, 'B'],
    ['A.TEST', certs.a, 'A'],
    ['x.w.test', certs.b, 'B'],
    ['deep.x.w.test', certs.b, 'B'],
    ['w.test', certs.d, 'D'],
    ['unknown.test', certs.d, 'D'],
    [undefined, certs.d, 'D']
  ]
  for (const [servername, cert, name] of cases) {
    const seen = await handshake(port, servername)
    t.equal(seen.fingerprint, cert.fingerprint256, `${servername ?? 'no server name'}: the certificate of ${name}`)
    t.equal(seen.body, name, `${servername ?? 'no server name'}: served by ${name}`)
  }
})
