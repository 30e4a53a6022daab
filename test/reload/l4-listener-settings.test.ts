/**
 * A reload that changes a tcp listener's settings on the same address (its
 * pool, proxyProtocol, maxConnections, deny): they apply to new connections
 * only; the open connection keeps its target and is not cut; the listener
 * keeps its socket and its counters.
 */
import t from 'tap'
import type { Socket } from 'node:net'
import { namedEchoTcp, openEchoStream, startL4Gateway, startTcpBackend, tcpExchange, type TcpBackend } from '../helpers/l4.js'

t.test('changed listener settings apply to new connections, the open one keeps going', async (t) => {
  const a = await startTcpBackend('a', namedEchoTcp)
  // b records all a connection sent (a PROXY header or not) and answers its name when the client ends.
  const received: string[] = []
  const b = await startTcpBackend('b', (socket: Socket, backend: TcpBackend) => {
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => { received.push(Buffer.concat(chunks).toString()); socket.end(backend.name) })
  })
  const before = { pools: { one: { targets: [a.url] }, two: { targets: [b.url] } }, tcp: [{ port: 0, host: '127.0.0.1', pool: 'one' }] }
  const gw = await startL4Gateway(before)
  t.teardown(async () => { await gw.close(); await a.stop(); await b.stop() })
  const port = gw.tcpPort()
  const open = await openEchoStream(port)
  t.equal(open.backend, 'a')

  const result = await gw.app.switchyardConfig.replace({ ...before, tcp: [{ port, host: '127.0.0.1', pool: 'two', proxyProtocol: 'v1' }] })
  t.same(result.l4.changed, [`tcp 127.0.0.1:${port}`], 'reported as changed, not added/removed')
  const reply = await tcpExchange(port, 'hello')
  t.equal(reply.toString(), 'b', 'a new connection goes to the new pool')
  t.match(received, [/^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+\r\nhello$/], 'and gets the PROXY header the new settings ask for')
  await open.roundTrip(Buffer.alloc(16 * 1024, 3))
  t.equal(open.backend, 'a', 'the open connection still streams to a')

  const status = gw.status()[0]
  t.equal(status?.pool, 'two', '/status shows the new pool')
  t.equal(status?.total, 2, 'counters kept across the reload')

  await gw.app.switchyardConfig.replace({ ...before, tcp: [{ port, host: '127.0.0.1', pool: 'one', maxConnections: 1 }] })
  const refused = await tcpExchange(port, 'x').catch((err: Error) => err)
  t.equal(Buffer.isBuffer(refused) ? refused.length : -1, 0, 'over maxConnections (1, held by the open connection): closed at once, nothing served')
  t.equal(gw.status()[0]?.refused, 1, 'counted as refused')
  await open.roundTrip(Buffer.from('still here'))
  await open.end()
  const fresh = await openEchoStream(port)
  t.equal(fresh.backend, 'a', 'with the slot free, new connections are served by the pool now named')
  await fresh.end()

  await gw.app.switchyardConfig.replace({ ...before, tcp: [{ port, host: '127.0.0.1', pool: 'one', deny: ['127.0.0.0/8'] }] })
  const denied = await tcpExchange(port, 'x')
  t.equal(denied.length, 0, 'a deny added by reload refuses new connections')
  t.equal(gw.tcpPort(), port, 'one socket throughout')
})
