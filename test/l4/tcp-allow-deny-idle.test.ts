/**
 * TCP `allow`/`deny` (closed at once, never reaching a backend) and
 * `idleTimeoutMs` (a connection silent both ways for that long is closed).
 */
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { startL4Gateway, startTcpBackend, tcpExchange } from '../helpers/l4.js'

t.test('deny wins; allow admits only the listed clients', async (t) => {
  const backend = await startTcpBackend('echo')
  const gw = await startL4Gateway({
    pools: { p: { targets: [backend.url] } },
    tcp: [
      { port: 0, pool: 'p', deny: ['127.0.0.0/8'] },
      { port: 0, pool: 'p', allow: ['10.0.0.0/8'] },
      { port: 0, pool: 'p', allow: ['loopback'] }
    ]
  })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  for (const index of [0, 1]) {
    const socket = connect({ port: gw.tcpPort(index), host: '127.0.0.1' })
    socket.on('error', () => {})
    socket.write('x')
    await once(socket, 'close')
  }
  t.equal(backend.connections, 0, 'refused clients reached no backend')
  t.same(gw.status().map((l) => l.refused), [1, 1, 0])
  t.equal((await tcpExchange(gw.tcpPort(2), 'ok')).toString(), 'ok', 'an allowed client is served')
})

t.test('idleTimeoutMs closes a silent connection', async (t) => {
  const backend = await startTcpBackend('echo')
  const gw = await startL4Gateway({ pools: { p: { targets: [backend.url] } }, tcp: [{ port: 0, pool: 'p', idleTimeoutMs: 300 }] })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const socket = connect({ port: gw.tcpPort(), host: '127.0.0.1' })
  socket.on('error', () => {})
  // Traffic every 100 ms for 600 ms keeps it open; then silence closes it.
  const started = Date.now()
  let quiet = started
  for (let i = 0; i < 6; i++) {
    socket.write('.')
    await once(socket, 'data')
    quiet = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(socket.destroyed, false, 'open while traffic flows')
  await once(socket, 'close')
  t.ok(Date.now() - started > 600, 'not closed while busy')
  t.ok(Date.now() - quiet >= 250, `closed after the idle time (${Date.now() - quiet} ms)`)
})
