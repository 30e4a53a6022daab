/**
 * The header timeout bounds the whole header, not the gap between bytes: a
 * peer trickling a valid header slower than `headerTimeoutMs` is closed while
 * still sending, and HTTP never sees a byte. Closing the app closes
 * connections still waiting for their header, at once.
 */
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { proxyProtocol } from '../../plugins/proxy-protocol/index.js'
import { proxyV1, rawExchange } from '../helpers/proxy-protocol.js'

async function appWithTimeout (headerTimeoutMs: number): Promise<{ app: FastifyInstance, port: number, hits: () => number }> {
  let hits = 0
  const app = Fastify()
  await app.register(proxyProtocol, { trust: () => true, headerTimeoutMs })
  app.addHook('onRequest', async () => { hits++ })
  app.get('/x', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, port: (app.server.address() as AddressInfo).port, hits: () => hits }
}

t.test('a header trickled byte by byte past the timeout is closed', async (t) => {
  const { app, port, hits } = await appWithTimeout(500)
  t.teardown(async () => { await app.close() })
  const bytes = [...proxyV1('203.0.113.7')].concat('GET /x HTTP/1.1\r\nHost: x\r\n\r\n')
  // 47 header bytes, one per 100 ms: ~4.7 s to send it all.
  const exchange = await rawExchange(port, bytes, { gapMs: 100, timeoutMs: 4000 })
  t.ok(exchange.closedByPeer, 'closed by the gateway')
  t.ok(exchange.elapsedMs >= 450 && exchange.elapsedMs < 3000, `after about the 500 ms timeout (${exchange.elapsedMs} ms), while bytes were still coming`)
  t.equal(exchange.received, '', 'no HTTP response')
  t.equal(hits(), 0, 'no request reached HTTP')
})

t.test('the same header sent in pieces within the timeout is accepted', async (t) => {
  const { app, port, hits } = await appWithTimeout(3000)
  t.teardown(async () => { await app.close() })
  const header = proxyV1('203.0.113.7')
  const pieces = [header.slice(0, 3), header.slice(3, 20), header.slice(20, 46), header.slice(46), 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']
  const exchange = await rawExchange(port, pieces, { gapMs: 50, timeoutMs: 2500 })
  t.match(exchange.received, /^HTTP\/1\.1 200 OK/, 'answered')
  t.equal(hits(), 1)
})

t.test('closing the app closes connections still waiting for their header', async (t) => {
  const { app, port } = await appWithTimeout(60_000)
  const pending = rawExchange(port, [proxyV1('203.0.113.7').slice(0, 10)], { timeoutMs: 5000 })
  await new Promise((resolve) => setTimeout(resolve, 200))
  const started = Date.now()
  await app.close()
  const closeMs = Date.now() - started
  const exchange = await pending
  t.ok(closeMs < 2000, `app.close() did not wait for the header (${closeMs} ms)`)
  t.ok(exchange.closedByPeer, 'the pending connection was closed')
})
