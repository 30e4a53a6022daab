/**
 * Regression (issue 10, item 9): a duplicate `Host` was forwarded (nginx and
 * HAProxy answer 400), and absolute-form targets to the gateway's own routes
 * got 400, though RFC 9112 §3.2.2 says a server MUST accept them: the
 * authority becomes `Host` (so `X-Forwarded-Host`), the path is routed as
 * usual, and nothing ever connects to the authority's host.
 */
import t from 'tap'
import { createServer, type AddressInfo } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/http.js'

t.test('duplicate Host → 400 before any link; absolute-form targets routed by path, never connected to', async (t) => {
  let seen: { url?: string, xfh?: string | string[], host?: string } = {}
  const backend = await startBackend('api', (req, res) => {
    req.resume()
    seen = { url: req.url, xfh: req.headers['x-forwarded-host'], host: req.headers.host }
    res.end('ok')
  })
  // A server at the authority of some absolute-form targets: it must never see a connection.
  let trapConnections = 0
  const trap = createServer((socket) => { trapConnections++; socket.destroy() })
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
  const trapAuthority = `127.0.0.1:${(trap.address() as AddressInfo).port}`
  const config = writeConfigFile({
    pools: { api: { targets: [backend.url] } },
    // A global rate limit: the duplicate-Host refusal must come before it (no rate-limit headers).
    routes: [{ path: '/api', pool: 'api', rateLimit: { max: 1000, windowMs: 60_000 } }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop(); trap.close() })
  const port = Number(new URL(gw.url).port)
  const status = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0)

  for (const hosts of ['Host: a.test\r\nHost: b.test', 'Host: a.test\r\nhost: a.test', 'HOST: a.test\r\nX-Other: 1\r\nhost: evil.test']) {
    const hitsBefore = backend.hits
    const raw = await rawRequest(port, `GET /api/x HTTP/1.1\r\n${hosts}\r\nConnection: close\r\n\r\n`)
    t.equal(status(raw), 400, `${JSON.stringify(hosts)}: 400`)
    t.match(raw, /"code":"SWITCHYARD_DUPLICATE_HOST"/, 'the gateway\'s own error body')
    t.notMatch(raw, /x-ratelimit|ratelimit-/i, 'refused before the rate-limit link ran')
    t.equal(backend.hits, hitsBefore, 'nothing reached the backend')
  }
  const dupAbsolute = await rawRequest(port, 'GET http://example.test/api/x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n')
  t.equal(status(dupAbsolute), 400, 'absolute form with two Host lines: still 400')

  const upgrade = await rawRequest(port, 'GET /api/ws HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  t.equal(status(upgrade), 400, 'a WebSocket upgrade with two Host lines: 400')

  const single = await rawRequest(port, 'GET /api/x HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n')
  t.equal(status(single), 200, 'one Host: forwarded')

  for (const [target, path, host] of [
    ['http://example.test/api/x', '/api/x', 'example.test'],
    ['http://example.test/api/x?q=1', '/api/x?q=1', 'example.test'],
    ['HTTP://Example.Test:8443/api/y', '/api/y', 'Example.Test:8443'],
    ['https://user:pw@example.test/api/z', '/api/z', 'example.test'],
    [`http://${trapAuthority}/api/trap`, '/api/trap', trapAuthority]
  ] as const) {
    const raw = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n`)
    t.equal(status(raw), 200, `${target}: 200`)
    t.equal(seen.url, path, `${target}: the backend got the path ${path}`)
    t.equal(seen.xfh, host, `${target}: X-Forwarded-Host is the authority`)
    t.equal(seen.host, `127.0.0.1:${backend.port}`, `${target}: Host is the target's`)
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400, absolute form or not (Node refuses it).
  const hitsBefore = backend.hits
  const noHost = await rawRequest(port, 'GET http://example.test/api/x HTTP/1.1\r\nConnection: close\r\n\r\n')
  t.equal(status(noHost), 400, 'HTTP/1.1 absolute form without a Host field: 400')
  t.equal(backend.hits, hitsBefore, 'not forwarded')
  const http10 = await rawRequest(port, 'GET http://example.test/api/x HTTP/1.0\r\n\r\n')
  t.match(http10, /^HTTP\/1\.1 200 /, 'HTTP/1.0 absolute form without Host: routed')
  t.equal(seen.xfh, 'example.test', 'its authority is the forwarded host')
  t.equal(trapConnections, 0, 'nothing ever connected to an absolute-form authority')
})
