/**
 * Slowloris: clients that trickle their headers (one byte every 300 ms) are
 * cut off once GATEWAY_HEADERS_TIMEOUT_MS has passed (408, connection
 * closed), while a normal client is served all along.
 */
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'

interface SlowClient {
  socket: Socket
  /** ms from the first byte until the server closed the connection. */
  closedAfter: Promise<number>
  received: () => string
}

function slowClient (port: number): SlowClient {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  const started = Date.now()
  socket.on('data', (c) => chunks.push(c))
  socket.on('error', () => {})
  const head = 'GET /slow HTTP/1.1\r\nHost: a\r\nX-Trickle: ' + 'a'.repeat(200)
  let sent = 0
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= head.length) { clearInterval(timer); return }
    socket.write(head[sent++] as string)
  }, 300)
  const closedAfter = new Promise<number>((resolve) => socket.on('close', () => { clearInterval(timer); resolve(Date.now() - started) }))
  return { socket, closedAfter, received: () => Buffer.concat(chunks).toString('latin1') }
}

t.test('slow header senders are cut off, a normal client is served meanwhile', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_HEADERS_TIMEOUT_MS: '1000', GATEWAY_REQUEST_TIMEOUT_MS: '5000' })
  const port = Number(new URL(gw.url).port)
  const slow = Array.from({ length: 10 }, () => slowClient(port))
  t.teardown(async () => {
    for (const client of slow) client.socket.destroy()
    await gw.close()
    await backend.stop()
  })

  // A normal client keeps being served while the slow ones hold their connections.
  const normal: Array<{ status: number, ms: number }> = []
  let allClosed = false
  const closedTimes = Promise.all(slow.map(async (c) => await c.closedAfter)).then((times) => { allClosed = true; return times })
  const deadline = Date.now() + 8000
  const slowOnesGone = (): boolean => allClosed
  for (let i = 0; i < 100 && !slowOnesGone() && Date.now() < deadline; i++) {
    const started = Date.now()
    const res = await fetch(`${gw.url}/normal`)
    await res.text()
    normal.push({ status: res.status, ms: Date.now() - started })
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(allClosed, 'every slow client was disconnected')
  const times = await Promise.race([closedTimes, new Promise<number[]>((resolve) => setTimeout(() => resolve([]), 1))])
  // 1 s limit, checked every 250 ms; generous margin for a loaded machine, far below the 8.4 s a trickle takes to finish.
  t.ok(times.length === 10 && times.every((ms) => ms >= 900 && ms < 4000), `cut off after the headers timeout: ${times.join(', ')} ms`)
  t.match(slow[0]?.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/, 'told 408 before the close')
  t.ok(normal.length >= 3, `the normal client made ${normal.length} requests meanwhile`)
  t.ok(normal.every((r) => r.status === 200), 'all served')
  t.equal(backend.hitsByPath.get('/slow'), undefined, 'no slow request reached the backend')
})
