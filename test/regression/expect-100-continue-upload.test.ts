/**
 * Regression (issue 10, item 3): every `Expect: 100-continue` upload got 502
 * and counted as a target failure (undici refuses a forwarded `expect`
 * header). curl sends it on every upload over 1 MiB. The gateway answers
 * `100 Continue` itself and forwards the body without the header.
 */
import t from 'tap'
import { connect } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { startBackend } from '../helpers/backend.js'
import { startPluginGateway } from '../helpers/gateway.js'

const BODY_BYTES = 2 * 1024 * 1024

/** Send the head with `Expect: 100-continue`, wait for `100 Continue`, then send `body`; resolve with the final response text. */
async function uploadWithExpect (port: number, body: Buffer): Promise<{ interim: string, final: string }> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    let interim = ''
    let sentBody = false
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no complete answer; got ${received.toString('latin1').slice(0, 300)}`)) }, 15_000)
    socket.on('error', (err) => { clearTimeout(timer); reject(err) })
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const text = received.toString('latin1')
      if (!sentBody) {
        const end = text.indexOf('\r\n\r\n')
        if (end === -1) return
        interim = text.slice(0, end)
        received = received.subarray(end + 4)
        if (!interim.startsWith('HTTP/1.1 100')) { clearTimeout(timer); socket.destroy(); resolve({ interim, final: text }); return }
        sentBody = true
        socket.write(body)
        return
      }
      const headEnd = text.indexOf('\r\n\r\n')
      if (headEnd === -1) return
      const length = /content-length: (\d+)/i.exec(text.slice(0, headEnd))
      if (length !== null && received.length >= headEnd + 4 + Number(length[1])) {
        clearTimeout(timer)
        socket.destroy()
        resolve({ interim, final: text })
      }
    })
    socket.write(`POST /upload HTTP/1.1\r\nHost: gw.test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`)
  })
}

t.test('Expect: 100-continue upload of 2 MiB: 100, then 200; the backend saw the whole body; no target failure', async (t) => {
  let seenExpect: string | undefined = 'not seen'
  const backend = await startBackend('up', (req, res) => {
    seenExpect = req.headers.expect
    const hash = createHash('sha256')
    let bytes = 0
    req.on('data', (c: Buffer) => { bytes += c.length; hash.update(c) })
    req.on('end', () => {
      const json = JSON.stringify({ bytes, sha: hash.digest('hex') })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) })
      res.end(json)
    })
  })
  const gw = await startPluginGateway({ pools: { p: { targets: [backend.url] } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = Number(new URL(gw.url).port)
  const body = randomBytes(BODY_BYTES)

  for (let i = 0; i < 2; i++) {
    const { interim, final } = await uploadWithExpect(port, body)
    t.match(interim, /^HTTP\/1\.1 100 Continue/, `upload ${i}: the gateway answered 100 Continue before the body`)
    t.match(final, /^HTTP\/1\.1 200 /, `upload ${i}: final status 200`)
    const json = JSON.parse(final.slice(final.indexOf('\r\n\r\n') + 4)) as { bytes: number, sha: string }
    t.equal(json.bytes, BODY_BYTES, `upload ${i}: the backend received all 2 MiB`)
    t.equal(json.sha, createHash('sha256').update(body).digest('hex'), `upload ${i}: byte for byte`)
  }
  t.equal(seenExpect, undefined, 'the Expect header is not forwarded (the gateway handled it)')
  const target = gw.app.switchyard.pools.get('p')?.targets[0]
  t.equal(target?.failures, 0, 'the target is not counted as failed')
  t.equal(target?.condition, 'healthy')
})
