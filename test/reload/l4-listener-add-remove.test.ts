/**
 * Reloads that add and remove a tcp listener: the added one serves at once
 * on its port; the removed one refuses new connections at once while its
 * open connection keeps streaming to the end, then it is gone from /status;
 * the listener that stays keeps its socket and its counters throughout.
 */
import t from 'tap'
import { connectRefused as refused, deadTcpPort, namedEchoTcp, openEchoStream, startL4Gateway, startTcpBackend } from '../helpers/l4.js'

t.test('a listener added by reload serves; one removed drains its open connection and stops accepting', async (t) => {
  const [a, b] = await Promise.all(['a', 'b'].map(async (name) => await startTcpBackend(name, namedEchoTcp)))
  if (a === undefined || b === undefined) throw new Error('backends')
  const extraPort = await deadTcpPort()
  const base = { pools: { db: { targets: [a.url] }, other: { targets: [b.url] } }, tcp: [{ port: 0, pool: 'db' }] }
  const gw = await startL4Gateway(base)
  t.teardown(async () => { await gw.close(); await a.stop(); await b.stop() })
  const port = gw.tcpPort()
  const first = await openEchoStream(port)
  await first.roundTrip(Buffer.from('before'))
  t.ok(await refused(extraPort), 'nothing listens on the extra port yet')

  const added = await gw.app.switchyardConfig.replace({ ...base, tcp: [...base.tcp, { port: extraPort, host: '127.0.0.1', pool: 'other' }] })
  t.same(added.l4, { added: [`tcp 127.0.0.1:${extraPort}`], changed: [], removed: [] })
  t.equal(gw.tcpPort(1), extraPort, '/status lists the new listener')
  const onExtra = await openEchoStream(extraPort)
  t.equal(onExtra.backend, 'b', 'the new listener serves its pool')
  await onExtra.roundTrip(Buffer.alloc(32 * 1024, 7))

  const removed = await gw.app.switchyardConfig.replace(base)
  t.same(removed.l4, { added: [], changed: [], removed: [`tcp 127.0.0.1:${extraPort}`] })
  t.ok(await refused(extraPort), 'the removed listener accepts no new connection')
  t.same(gw.status().map((l) => l.address), [`127.0.0.1:${port}`], '/status shows the running listeners only')
  // Its open connection is not cut: it streams on, then ends normally.
  for (let i = 0; i < 10; i++) await onExtra.roundTrip(Buffer.alloc(8 * 1024, i))
  t.equal(onExtra.echoed, 32 * 1024 + 10 * 8 * 1024, 'every byte of the draining connection echoed back')
  await onExtra.end()
  const closedBy = Date.now() + 5000
  while (b.sockets.size > 0 && Date.now() < closedBy) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(b.sockets.size, 0, 'the drained connection closed upstream too')

  // The listener that stayed: same socket, its open connection untouched, counters kept.
  await first.roundTrip(Buffer.from('after'))
  await first.end()
  const again = await openEchoStream(port)
  t.equal(again.backend, 'a')
  await again.end()
  const [listener] = gw.status()
  t.equal(listener?.total, 2, 'the staying listener counted both its connections across two reloads')
  t.equal(gw.tcpPort(), port)

  // Added back on the same port: the removed one released it.
  await gw.app.switchyardConfig.replace({ ...base, tcp: [...base.tcp, { port: extraPort, host: '127.0.0.1', pool: 'other' }] })
  const back = await openEchoStream(extraPort)
  t.equal(back.backend, 'b', 'the port can be taken again by a later reload')
  await back.end()
})
