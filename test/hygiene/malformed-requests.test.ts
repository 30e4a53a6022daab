/**
 * Request-smuggling shapes are refused by Node's parser (llhttp, strict mode:
 * `insecureHTTPParser` is never enabled) and answered 400 in the gateway's
 * error format, with the connection closed; none reaches a backend.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/http.js'

const MALFORMED: Record<string, string> = {
  'Content-Length and Transfer-Encoding together': 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'repeated Content-Length': 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
  'differing Content-Length': 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  'Content-Length list': 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello',
  'Transfer-Encoding: xchunked': 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
  'space before the colon of Transfer-Encoding': 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
  'chunked not last': 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  'Transfer-Encoding twice': 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n',
  'folded Transfer-Encoding line': 'POST /x HTTP/1.1\r\nHost: a\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'unknown transfer coding': 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n',
  'control character in a header value': 'GET /x HTTP/1.1\r\nHost: a\r\nX-A: a\x01b\r\n\r\n',
  'space in a header name': 'GET /x HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n',
  'bare LF line endings': 'GET /x HTTP/1.1\nHost: a\nX-A: b\n\n',
  'chunk size not hex': 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
  'chunk size overflowing': 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n',
  'control character in a chunk extension': 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;\x01\r\nhello\r\n0\r\n\r\n'
}

t.test('malformed requests → 400, backend untouched', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = Number(new URL(gw.url).port)

  for (const [name, raw] of Object.entries(MALFORMED)) {
    const response = await rawRequest(port, raw, 3000)
    t.match(response, /^HTTP\/1\.1 400 Bad Request\r\n/, `${name}: 400`)
    t.match(response, /\r\nConnection: close\r\n/i, `${name}: connection closed`)
    const body = response.slice(response.indexOf('\r\n\r\n') + 4)
    t.same(JSON.parse(body), { statusCode: 400, code: 'SWITCHYARD_BAD_REQUEST', error: 'Bad Request', message: 'The request is malformed' }, `${name}: gateway error body`)
  }
  // A well-formed request on the same gateway still works: the counter below is meaningful.
  const ok = await rawRequest(port, 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 3000)
  t.match(ok, /^HTTP\/1\.1 200 /, 'a well-formed chunked request is forwarded')
  t.equal(backend.hits, 1, 'only the well-formed request reached the backend')
})
