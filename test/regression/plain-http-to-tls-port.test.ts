/**
 * Regression (issue 10, item 17): plain HTTP sent to the TLS port got a bare
 * TLS failure. It now gets a 400 that says to use https (as nginx does), and
 * TLS clients on the same port (h2 and HTTP/1.1) are served as before.
 */
import t from 'tap'
import { connect } from 'node:net'
import { connect as h2Connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'undici'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { makeCertificate } from '../helpers/tls.js'
import { h2Request } from '../helpers/h2.js'

async function rawExchange (port: number, text: string): Promise<string> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.write(text) })
    let data = ''
    socket.on('data', (chunk: Buffer) => { data += chunk.toString() })
    socket.on('close', () => resolve(data))
    socket.on('error', () => resolve(data))
    setTimeout(() => { socket.destroy() }, 5000).unref()
  })
}

t.test('plain HTTP on the TLS port: 400 saying to use https; TLS still served', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const backend = await startBackend('b')
  const gateway = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_TLS_CERT: certificate.certPath, GATEWAY_TLS_KEY: certificate.keyPath })
  t.teardown(async () => { await gateway.close(); await backend.stop() })
  const port = (gateway.app.server.address() as AddressInfo).port

  const answer = await rawExchange(port, 'GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n')
  t.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/, 'a plain HTTP 400')
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string, message: string }
  t.equal(body.code, 'SWITCHYARD_PLAIN_HTTP_ON_TLS_PORT')
  t.match(body.message, /plain HTTP request was sent to the HTTPS port: use https:\/\//)
  t.equal(backend.hits, 0, 'nothing forwarded')
  t.match(await rawExchange(port, 'POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi'), /^HTTP\/1\.1 400 /, 'any method')

  const agent = new Agent({ connect: { ca: certificate.cert } })
  t.teardown(async () => { await agent.close() })
  const https = await request(`https://localhost:${port}/y`, { dispatcher: agent })
  t.equal(https.statusCode, 200, 'HTTPS (HTTP/1.1) served')
  await https.body.text()
  const session = h2Connect(`https://localhost:${port}`, { ca: certificate.cert })
  t.teardown(() => session.close())
  const h2 = await h2Request(session, { ':path': '/z' })
  t.equal(h2.status, 200, 'HTTP/2 served')
  t.equal(backend.hits, 2)
})
