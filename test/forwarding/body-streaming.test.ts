/**
 * Bodies stream both ways byte-exact: a 5 MB upload and a 10 MB download,
 * with Content-Length and chunked, checked by SHA-256 on the far side.
 */
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { Readable } from 'node:stream'
import { startBackend } from '../helpers/backend.js'
import { startPluginGateway } from '../helpers/gateway.js'

const UPLOAD = randomBytes(5 * 1024 * 1024)
const DOWNLOAD = randomBytes(10 * 1024 * 1024)
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

t.test('5 MB upload and 10 MB download are byte-exact, with Content-Length and chunked', async (t) => {
  const backend = await startBackend('b', (req, res) => {
    if (req.url?.startsWith('/download')) {
      const chunked = req.url.includes('chunked')
      res.writeHead(200, chunked ? { 'content-type': 'application/octet-stream' } : { 'content-length': DOWNLOAD.length })
      if (chunked) {
        // several writes so the response is really chunked on the wire
        for (let i = 0; i < DOWNLOAD.length; i += 1024 * 1024) res.write(DOWNLOAD.subarray(i, i + 1024 * 1024))
        res.end()
      } else {
        res.end(DOWNLOAD)
      }
      return
    }
    const hash = createHash('sha256')
    let bytes = 0
    req.on('data', (c: Buffer) => { hash.update(c); bytes += c.length })
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ sha: hash.digest('hex'), bytes, te: req.headers['transfer-encoding'] ?? null }))
    })
  })
  const gw = await startPluginGateway({ pools: { p: { targets: [backend.url] } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const withLength = await fetch(`${gw.url}/upload`, { method: 'POST', body: UPLOAD, headers: { 'content-type': 'application/octet-stream' } })
  const seen = await withLength.json() as { sha: string, bytes: number }
  t.equal(seen.bytes, UPLOAD.length, 'backend received 5 MB (Content-Length)')
  t.equal(seen.sha, sha(UPLOAD), 'upload sha256 matches (Content-Length)')

  const chunkedBody = Readable.from((function * () { for (let i = 0; i < UPLOAD.length; i += 64 * 1024) yield UPLOAD.subarray(i, i + 64 * 1024) })())
  const chunked = await new Promise<{ sha: string, bytes: number, te: string | null }>((resolve, reject) => {
    const req = request(`${gw.url}/upload`, { method: 'PUT', headers: { 'content-type': 'text/plain' } }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString()) as { sha: string, bytes: number, te: string | null }))
    })
    req.on('error', reject)
    chunkedBody.pipe(req)
  })
  t.equal(chunked.bytes, UPLOAD.length, 'backend received 5 MB (chunked, text/plain not buffered by a parser)')
  t.equal(chunked.sha, sha(UPLOAD), 'upload sha256 matches (chunked)')

  for (const path of ['/download', '/download?chunked']) {
    const res = await fetch(gw.url + path)
    const body = Buffer.from(await res.arrayBuffer())
    t.equal(body.length, DOWNLOAD.length, `${path}: 10 MB received`)
    t.equal(sha(body), sha(DOWNLOAD), `${path}: download sha256 matches`)
  }
})

t.test('the first response bytes arrive before the backend finished sending (no buffering)', async (t) => {
  let release: () => void = () => {}
  const backend = await startBackend('b', (req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first part\n')
    release = () => res.end('second part\n')
  })
  const gw = await startPluginGateway({ pools: { p: { targets: [backend.url] } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const res = await fetch(`${gw.url}/stream`)
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const first = await reader.read()
  t.equal(Buffer.from(first.value as Uint8Array).toString(), 'first part\n', 'first chunk arrives while the backend still holds the response open')
  release()
  let rest = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    rest += Buffer.from(value).toString()
  }
  t.equal(rest, 'second part\n')
})
