/**
 * GATEWAY_MAX_HEADER_BYTES bounds the request line and headers: above it the
 * answer is 431 (not Node's bare 400) and nothing reaches the backend.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/http.js'

t.test('headers over the limit → 431', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_MAX_HEADER_BYTES: '4096' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = Number(new URL(gw.url).port)

  const small = await rawRequest(port, `GET /x HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(2000)}\r\nConnection: close\r\n\r\n`, 3000)
  t.match(small, /^HTTP\/1\.1 200 /, 'a 2 KB header passes')
  t.equal(backend.hits, 1)

  const big = await rawRequest(port, `GET /x HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(6000)}\r\n\r\n`, 3000)
  t.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/, 'a 6 KB header → 431')
  const body = big.slice(big.indexOf('\r\n\r\n') + 4)
  t.match(JSON.parse(body), { statusCode: 431, code: 'SWITCHYARD_HEADERS_TOO_LARGE' })

  const many = await rawRequest(port, 'GET /x HTTP/1.1\r\nHost: a\r\n' + Array.from({ length: 500 }, (_, i) => `X-Header-${i}: value-${i}\r\n`).join('') + '\r\n', 3000)
  t.match(many, /^HTTP\/1\.1 431 /, 'many small headers adding up → 431')
  t.equal(backend.hits, 1, 'the oversized requests reached no backend')
})
