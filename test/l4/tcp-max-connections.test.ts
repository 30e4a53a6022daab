/**
 * TCP `maxConnections`: with the limit reached, one more connection is
 * closed at once (never queued); once a slot frees, connections are served again.
 */
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { startL4Gateway, startTcpBackend, tcpExchange } from '../helpers/l4.js'

t.test('maxConnections + 1: the extra one is refused at once', async (t) => {
  const backend = await startTcpBackend('echo')
  const gw = await startL4Gateway({ pools: { p: { targets: [backend.url] } }, tcp: [{ port: 0, pool: 'p', maxConnections: 3 }] })
  const held: Socket[] = []
  t.teardown(async () => { for (const s of held) s.destroy(); await gw.close(); await backend.stop() })
  for (let i = 0; i < 3; i++) {
    const socket = connect({ port: gw.tcpPort(), host: '127.0.0.1' })
    held.push(socket)
    socket.write('ping')
    await once(socket, 'data') // echoed: this one is through to the backend
  }
  const started = Date.now()
  const extra = connect({ port: gw.tcpPort(), host: '127.0.0.1' })
  extra.on('error', () => {})
  let gotData = false
  extra.on('data', () => { gotData = true })
  extra.write('ping')
  await once(extra, 'close')
  t.ok(Date.now() - started < 2000, `closed at once (${Date.now() - started} ms)`)
  t.equal(gotData, false, 'the extra connection got nothing')
  t.equal(backend.connections, 3, 'the backend never saw it')
  t.equal(gw.status()[0]?.refused, 1)
  held.pop()?.destroy()
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal((await tcpExchange(gw.tcpPort(), 'again')).toString(), 'again', 'a freed slot serves a new connection')
})
