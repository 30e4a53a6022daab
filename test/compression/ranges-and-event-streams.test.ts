/**
 * Ranges (206 / Content-Range) and event streams are never compressed; an
 * event stream flows event by event (not held back by a compressor), HEAD
 * answers keep their Content-Length.
 */
import t from 'tap'
import { request } from 'node:http'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'

const FULL = Buffer.from('0123456789abcdef'.repeat(512))

t.test('206 and text/event-stream pass uncompressed', async (t) => {
  const timers = new Set<NodeJS.Timeout>()
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write(`data: ${'x'.repeat(2000)}\n\n`)
      const timer = setTimeout(() => { timers.delete(timer); res.end('data: last\n\n') }, 1500)
      timers.add(timer)
      return
    }
    if (req.headers.range !== undefined) {
      const part = FULL.subarray(0, 4096)
      res.writeHead(206, { 'content-type': 'text/plain', 'content-range': `bytes 0-4095/${FULL.length}`, 'content-length': part.length })
      res.end(part)
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': FULL.length })
    res.end(FULL)
  })
  t.teardown(() => { for (const timer of timers) clearTimeout(timer) })
  t.teardown(backend.stop)
  const gateway = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(gateway.close)

  const range = await getRaw(`${gateway.url}/file`, { 'accept-encoding': 'gzip', range: 'bytes=0-4095' })
  t.equal(range.status, 206)
  t.equal(range.headers['content-encoding'], undefined, 'a range is not compressed')
  t.equal(range.headers['content-range'], `bytes 0-4095/${FULL.length}`)
  t.ok(range.body.equals(FULL.subarray(0, 4096)))

  const head = await getRaw(`${gateway.url}/file`, { 'accept-encoding': 'gzip' }, 'HEAD')
  t.equal(head.headers['content-encoding'], undefined, 'HEAD is not compressed')
  t.equal(head.headers['content-length'], String(FULL.length))

  // The first event must arrive while the backend still holds the stream open.
  const first = await new Promise<{ encoding: string | undefined, chunk: string, elapsedMs: number }>((resolve, reject) => {
    const started = Date.now()
    const req = request(`${gateway.url}/events`, { headers: { 'accept-encoding': 'gzip, br' }, agent: false }, (res) => {
      res.setEncoding('utf8')
      res.once('data', (chunk: string) => {
        resolve({ encoding: res.headers['content-encoding'], chunk, elapsedMs: Date.now() - started })
        res.resume()
      })
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(first.encoding, undefined, 'text/event-stream is not compressed')
  t.match(first.chunk, /^data: x+/, 'the first event arrives as sent')
  t.ok(first.elapsedMs < 1400, `before the stream ends (${first.elapsedMs} ms < 1400 ms)`)
})
