/**
 * Regression (issue 10, item 10, forwarder part; the public cache-tests
 * suite's `interim-not-cached`, `headers-store-X-Frame-Options` and
 * `headers-store-X-XSS-Protection`): a backend's `103 Early Hints` must reach
 * the client before the final response, and a backend's own
 * `X-Frame-Options` / `X-XSS-Protection` must reach it unchanged with default
 * settings (the gateway's security headers are defaults for responses that
 * lack them).
 */
import t from 'tap'
import { connect } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'
import { rawRequest } from '../helpers/http.js'

t.test('103 Early Hints pass through before the final response', async (t) => {
  let sendFinal: () => void = () => {}
  const backend = await startBackend('hints', (req, res) => {
    req.resume()
    res.writeEarlyHints({ link: ['</style.css>; rel=preload; as=style', '</app.js>; rel=preload; as=script'] })
    // The final response waits until the client has seen the 103.
    sendFinal = () => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '4' }); res.end('done') }
    if (req.url === '/old') setTimeout(sendFinal, 50)
  })
  const config = writeConfigFile({ pools: { p: { targets: [backend.url] } }, routes: [{ path: '/', pool: 'p' }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const socket = connect(Number(new URL(gw.url).port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  let received = ''
  let interim = ''
  const final = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(received)}`)), 10_000)
    socket.on('error', reject)
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (interim === '') {
        const end = received.indexOf('\r\n\r\n')
        if (end === -1) return
        interim = received.slice(0, end + 4)
        received = received.slice(end + 4)
        // Only now may the backend answer: the 103 came first, on its own.
        sendFinal()
      }
      if (/\r\n\r\ndone$/.test(received)) { clearTimeout(timer); resolve(received) }
    })
    socket.write('GET /page HTTP/1.1\r\nHost: gw.test\r\n\r\n')
  })
  t.match(interim, /^HTTP\/1\.1 103 Early Hints\r\n/, 'the 103 reached the client first')
  t.match(interim, /\r\nlink: <\/style\.css>; rel=preload; as=style/i, 'with the first Link')
  t.match(interim, /<\/app\.js>; rel=preload; as=script/, 'and the second')
  t.match(final, /^HTTP\/1\.1 200 OK\r\n/, 'then the final response')
  t.match(final, /\r\n\r\ndone$/)

  // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
  const old = await rawRequest(Number(new URL(gw.url).port), 'GET /old HTTP/1.0\r\nHost: gw.test\r\n\r\n', 5000)
  t.match(old, /^HTTP\/1\.1 200 OK\r\n/, 'an HTTP/1.0 client gets the final response only')
  t.notMatch(old, /103/, 'and no 103')
  t.equal(gw.app.switchyard.pools.get('p')?.targets[0]?.failures, 0, 'a hint never counts as a target failure')
})

t.test("a backend's own X-Frame-Options and X-XSS-Protection pass unchanged with default settings", async (t) => {
  const backend = await startBackend('own', (req, res) => {
    req.resume()
    const headers: Record<string, string> = { 'content-type': 'text/html' }
    if (req.url === '/own') {
      headers['x-frame-options'] = 'DENY'
      headers['x-xss-protection'] = '1; mode=block'
    }
    res.writeHead(200, headers)
    res.end('<p>hi</p>')
  })
  const config = writeConfigFile({ pools: { p: { targets: [backend.url] } }, routes: [{ path: '/', pool: 'p' }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const own = await getRaw(`${gw.url}/own`)
  t.equal(own.headers['x-frame-options'], 'DENY', "the backend's X-Frame-Options")
  t.equal(own.headers['x-xss-protection'], '1; mode=block', "the backend's X-XSS-Protection")
  t.equal(own.headers['x-content-type-options'], 'nosniff', 'the gateway default where the backend sent none')
  const none = await getRaw(`${gw.url}/none`)
  t.equal(none.headers['x-frame-options'], 'SAMEORIGIN', 'the gateway default when the backend sends none')
  t.equal(none.headers['x-xss-protection'], '0')
})
