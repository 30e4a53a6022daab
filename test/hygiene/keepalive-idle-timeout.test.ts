/**
 * GATEWAY_KEEPALIVE_TIMEOUT_MS: an idle keep-alive connection is closed by
 * the gateway after that long; one in use within it is kept.
 */
import t from 'tap'
import { connect } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'

t.test('idle keep-alive connections are closed after the timeout', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_KEEPALIVE_TIMEOUT_MS: '500' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = Number(new URL(gw.url).port)

  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  let responses = 0
  let buffer = ''
  socket.on('data', (c: Buffer) => {
    buffer += c.toString('latin1')
    responses = buffer.split('HTTP/1.1 200 OK').length - 1
  })
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())))
  const request = 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n'
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  const responsesReach = async (n: number): Promise<boolean> => {
    const deadline = Date.now() + 3000
    const seen = (): number => responses
    for (let i = 0; i < 300 && seen() < n && Date.now() < deadline; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    return seen() >= n
  }
  socket.write(request)
  t.ok(await responsesReach(1), 'first response on the connection')
  await new Promise((resolve) => setTimeout(resolve, 200))
  socket.write(request)
  t.ok(await responsesReach(2), 'reused after 200 ms idle, within the idle timeout')
  t.notOk(socket.destroyed, 'still open while in use')
  const idleSince = Date.now()
  const timer = setTimeout(() => socket.destroy(), 5000)
  const closedAt = await closed
  clearTimeout(timer)
  const idleMs = closedAt - idleSince
  t.ok(idleMs >= 200 && idleMs < 3000, `closed by the gateway after being idle (500 ms + Node's socket-timeout slack) (${idleMs} ms)`)
})
