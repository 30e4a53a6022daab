/**
 * A chunked body (no length up front) is counted while it streams, without
 * buffering: past the route's `bodyLimit` the client gets 413, the upstream
 * request is aborted (the backend never gets the whole body), the rest is
 * discarded for a short grace and then the connection closed, and the target
 * is not blamed (no retry on another one).
 */
import t from 'tap'
import { connect } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('chunked body over the limit → 413, upstream aborted', async (t) => {
  // Both targets count what they got for /up/stream: a retry would show as a second request.
  let requests = 0
  let bodyBytes = 0
  let completed = 0
  const counting = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url !== '/up/stream') { req.resume(); res.end('ok'); return }
    requests++
    req.on('data', (chunk: Buffer) => { bodyBytes += chunk.length })
    req.on('end', () => { completed++; res.end('ok') })
    req.on('error', () => {})
  }
  const one = await startBackend('one', counting)
  const two = await startBackend('two', counting)
  const config = writeConfigFile({
    pools: { p: { targets: [one.url, two.url], retries: 2 } },
    routes: [{ path: '/up', pool: 'p', bodyLimit: 64 * 1024 }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await one.stop(); await two.stop() })
  const port = Number(new URL(gw.url).port)

  const socket = connect(port, '127.0.0.1')
  const received: Buffer[] = []
  socket.on('data', (c) => received.push(c))
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.on('error', () => {})
  socket.write('POST /up/stream HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n')
  const chunk = Buffer.alloc(16 * 1024, 'x')
  // 16 chunks of 16 KiB = 256 KiB offered, 4× the limit; stop as soon as the gateway answers.
  for (let i = 0; i < 16 && received.length === 0 && !socket.destroyed; i++) {
    socket.write(chunk.length.toString(16) + '\r\n')
    socket.write(chunk)
    socket.write('\r\n')
    await new Promise((resolve) => setTimeout(resolve, 30))
  }
  let forced = false
  const timeout = setTimeout(() => { forced = true; socket.destroy() }, 6000)
  await closed
  clearTimeout(timeout)
  const response = Buffer.concat(received).toString('latin1')
  t.match(response, /^HTTP\/1\.1 413 /, `413 once the count passes the limit (got ${JSON.stringify(response.slice(0, 60))})`)
  t.notOk(forced, 'the gateway closed the connection: the body never ended within the discard grace')
  t.match(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)), { code: 'SWITCHYARD_BODY_TOO_LARGE' })
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(completed, 0, 'the backend never received a complete request body')
  t.ok(bodyBytes <= 64 * 1024, `the backend saw at most the limit (${bodyBytes} bytes)`)
  t.equal(requests, 1, 'not retried on another target')

  const after = await fetch(`${gw.url}/up/small`, { method: 'POST', body: 'hello' })
  t.equal(after.status, 200, 'the route keeps working')
  await after.text()
})
