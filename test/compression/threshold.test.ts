/**
 * Small bodies are not compressed (GATEWAY_COMPRESSION_THRESHOLD, default
 * 1024 bytes, judged on the backend's Content-Length); a chunked body of
 * unknown length is; GATEWAY_COMPRESSION=off turns compression off.
 */
import t from 'tap'
import { gunzipSync } from 'node:zlib'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'

const text = (n: number): Buffer => Buffer.from('switchyard '.repeat(Math.ceil(n / 11)).slice(0, n))

t.test('threshold', async (t) => {
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    const url = new URL(req.url ?? '/', 'http://x')
    const body = text(Number(url.searchParams.get('n')))
    if (url.pathname === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write(body.subarray(0, 10))
      res.end(body.subarray(10))
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
    res.end(body)
  })
  t.teardown(backend.stop)
  const gateway = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(gateway.close)
  const gzip = { 'accept-encoding': 'gzip' }

  const small = await getRaw(`${gateway.url}/fixed?n=1023`, gzip)
  t.equal(small.headers['content-encoding'], undefined, '1023 bytes: sent as is')
  t.equal(small.headers['content-length'], '1023')
  t.equal(small.headers.vary, undefined, 'no Vary: the answer does not depend on Accept-Encoding')
  t.ok(small.body.equals(text(1023)))

  const big = await getRaw(`${gateway.url}/fixed?n=1024`, gzip)
  t.equal(big.headers['content-encoding'], 'gzip', '1024 bytes: compressed')
  t.ok(gunzipSync(big.body).equals(text(1024)))

  const chunked = await getRaw(`${gateway.url}/chunked?n=200`, gzip)
  t.equal(chunked.headers['content-encoding'], 'gzip', 'unknown length (chunked): compressed')
  t.ok(gunzipSync(chunked.body).equals(text(200)))
})

t.test('GATEWAY_COMPRESSION_THRESHOLD and GATEWAY_COMPRESSION=off', async (t) => {
  const body = text(5000)
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': body.length })
    res.end(body)
  })
  t.teardown(backend.stop)
  const raised = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_COMPRESSION_THRESHOLD: '8192' })
  t.teardown(raised.close)
  const off = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_COMPRESSION: 'off' })
  t.teardown(off.close)
  const a = await getRaw(`${raised.url}/`, { 'accept-encoding': 'gzip' })
  t.equal(a.headers['content-encoding'], undefined, '5000 bytes under a threshold of 8192')
  t.ok(a.body.equals(body))
  const b = await getRaw(`${off.url}/`, { 'accept-encoding': 'gzip, br' })
  t.equal(b.headers['content-encoding'], undefined, 'compression off')
  t.equal(b.headers['content-length'], '5000')
  t.ok(b.body.equals(body))
  await t.rejects(startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_COMPRESSION: 'yes' }), /GATEWAY_COMPRESSION must be on\/off, true\/false or 1\/0/)
})
