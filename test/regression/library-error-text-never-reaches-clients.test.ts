/**
 * Regression (issue 10, item 7): error text from libraries reached clients —
 * a backend's invalid chunked response gave a 500 with llhttp's message, a
 * GET with a body gave 500 "Rewriting the body when doing a GET is not
 * allowed", `..;` and absolute-form targets gave reply-from's "invalid
 * characters", overlong UTF-8 and bad percent-encoding echoed the raw path
 * (Fastify's FST_ERR_BAD_URL). Every client-visible error is now the
 * gateway's `{statusCode, code, error, message}` with a fixed message.
 *
 * Broken backends are raw TCP servers; the client is a raw socket.
 */
import t from 'tap'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/http.js'

/** Broken answers of the raw backend, by request path. */
const BROKEN_ANSWERS: Record<string, string> = {
  '/broken/chunked': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nZZZZ\r\nhello\r\n0\r\n\r\n',
  '/broken/status-line': 'HTTP/1.1 2x0 Fine\r\nContent-Length: 2\r\n\r\nok',
  '/broken/half-head': 'HTTP/1.1 200 OK\r\nContent-Ty',
  '/broken/header-bytes': 'HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok',
  '/broken/two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!',
  '/broken/not-http': 'SSH-2.0-OpenSSH_9.2\r\n'
}

const FORBIDDEN = ['llhttp', 'HPE_', 'undici', 'reply-from', 'Rewriting', 'invalid characters', 'not a valid url', 'FST_']

interface Parsed { status: number, head: string, body: string }

function parse (raw: string): Parsed {
  const end = raw.indexOf('\r\n\r\n')
  const head = end === -1 ? raw : raw.slice(0, end)
  let body = end === -1 ? '' : raw.slice(end + 4)
  if (/\r\ntransfer-encoding: chunked/i.test(head)) {
    let out = ''
    for (;;) {
      const line = body.indexOf('\r\n')
      const size = parseInt(body.slice(0, line), 16)
      if (!(size > 0)) break
      out += body.slice(line + 2, line + 2 + size)
      body = body.slice(line + 2 + size + 2)
    }
    body = out
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), head, body }
}

t.test('nothing of a library, a backend or the raw path in any error a client sees', async (t) => {
  const rawSockets = new Set<Socket>()
  const broken = createServer((socket) => {
    rawSockets.add(socket)
    socket.on('close', () => rawSockets.delete(socket))
    socket.on('error', () => {})
    socket.once('data', (chunk: Buffer) => {
      const path = /^[A-Z]+ (\S+)/.exec(chunk.toString('latin1'))?.[1] ?? ''
      socket.end(BROKEN_ANSWERS[path] ?? 'HTTP/1.1 500 Nope\r\n\r\n')
    })
  })
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve))
  const brokenPort = (broken.address() as AddressInfo).port
  let lastBody: string | undefined
  let lastUrl: string | undefined
  const echo = await startBackend('echo', (req, res) => {
    let body = ''
    req.setEncoding('latin1')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => {
      lastBody = body
      lastUrl = req.url
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('fine')
    })
  })
  const config = writeConfigFile({
    pools: { broken: { targets: [`http://127.0.0.1:${brokenPort}`], retries: 0 }, echo: { targets: [echo.url] } },
    routes: [{ path: '/broken', pool: 'broken' }, { path: '/api', pool: 'echo' }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => {
    await gw.close()
    for (const s of rawSockets) s.destroy()
    broken.close()
    await echo.stop()
  })
  const port = Number(new URL(gw.url).port)
  const forbidden = [...FORBIDDEN, String(brokenPort), String(echo.port)]

  const send = async (requestLine: string, extra = ''): Promise<Parsed> => {
    const answer = parse(await rawRequest(port, `${requestLine}\r\nHost: gw.test\r\nConnection: close\r\n${extra}\r\n`, 5000))
    for (const text of forbidden) t.notOk(answer.body.includes(text), `${JSON.stringify(requestLine)}: body has no "${text}"`)
    if (answer.status >= 400) {
      const json = JSON.parse(answer.body) as Record<string, unknown>
      t.same(Object.keys(json).sort(), ['code', 'error', 'message', 'statusCode'], `${JSON.stringify(requestLine)}: the gateway's error body`)
      t.match(json.code, /^SWITCHYARD_/, `${JSON.stringify(requestLine)}: the gateway's code (${String(json.code)})`)
      t.equal(json.statusCode, answer.status)
    }
    return answer
  }

  for (const path of Object.keys(BROKEN_ANSWERS)) {
    const answer = await send(`GET ${path} HTTP/1.1`)
    t.equal(answer.status, 502, `${path}: 502`)
    t.equal(JSON.parse(answer.body).code, 'SWITCHYARD_BAD_GATEWAY', `${path}: SWITCHYARD_BAD_GATEWAY`)
  }

  const getWithBody = await send('GET /api/search HTTP/1.1', 'Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{"q":"hello"}')
  t.equal(getWithBody.status, 200, 'a GET with a body is forwarded (as nginx does)')
  t.equal(lastBody, '{"q":"hello"}', 'with its body')

  const absolute = await send('GET http://example.test/api/x?y=1 HTTP/1.1')
  t.equal(absolute.status, 200, 'an absolute-form target is routed by its path')
  t.equal(lastUrl, '/api/x?y=1')

  for (const target of ['/api/..;/admin', '/api/x/..;/y', '/api/.;/x', '/api/%2e%2e;x/y', '/api/..%3b/y', 'http://example.test/api/..;/admin']) {
    const answer = await send(`GET ${target} HTTP/1.1`)
    t.equal(answer.status, 400, `${target}: refused as a dot-segment (Tomcat and Jetty read "..;" as "..")`)
    t.equal(JSON.parse(answer.body).code, 'SWITCHYARD_BAD_PATH')
  }

  for (const target of ['/api/%c0%ae%c0%ae/x', '/api/%zz', '/%c0%af', '/%zz%zz', 'ftp://example.test/api/x', '/api/%ed%a0%80', '/api/x%']) {
    const answer = await send(`GET ${target} HTTP/1.1`)
    t.equal(answer.status, 400, `${target}: 400`)
    const escapes = target.match(/%[0-9a-z]{2}|ftp:/gi) ?? []
    for (const escape of escapes) t.notOk(answer.body.toLowerCase().includes(escape.toLowerCase()), `${target}: the raw path is not echoed (${escape})`)
  }

  // Raw overlong UTF-8 bytes in the request line: refused by the parser, in our format.
  const rawBytes = parse(await rawRequest(port, Buffer.from('GET /api/\xc0\xaf HTTP/1.1\r\nHost: gw.test\r\n\r\n', 'latin1'), 5000))
  t.equal(rawBytes.status, 400, 'raw overlong UTF-8 bytes: 400')
  t.equal(JSON.parse(rawBytes.body).code, 'SWITCHYARD_BAD_REQUEST')
})
