/**
 * A whole-config reload that changes a tcp listener's pool targets (a → b),
 * while 4 echo clients loop connections over the listener and one connection
 * to a keeps streaming: new connections go to b, the open one keeps its
 * bytes flowing (every byte echoed back, checked) to a, no connection fails,
 * the listener keeps its socket (same port) and its counters.
 */
import t from 'tap'
import { namedEchoTcp, openEchoStream, startL4Gateway, startTcpBackend, startTcpLoad } from '../helpers/l4.js'

t.test('tcp pool targets changed by reload: new connections move, the open one keeps streaming', async (t) => {
  const [a, b] = await Promise.all(['a', 'b'].map(async (name) => await startTcpBackend(name, namedEchoTcp)))
  if (a === undefined || b === undefined) throw new Error('backends')
  const configA = { pools: { db: { targets: [a.url] } }, tcp: [{ port: 0, pool: 'db' }] }
  const gw = await startL4Gateway(configA)
  t.teardown(async () => { await gw.close(); await a.stop(); await b.stop() })
  const port = gw.tcpPort()

  const stream = await openEchoStream(port)
  t.equal(stream.backend, 'a', 'the open connection is on a')
  await stream.roundTrip(Buffer.alloc(64 * 1024, 1))
  const load = startTcpLoad(port, { clients: 4, maxMs: 30_000 })
  while (load.connections < 20) await new Promise((resolve) => setTimeout(resolve, 10))

  const result = await gw.app.switchyardConfig.replace({ ...configA, pools: { db: { targets: [b.url] } } })
  t.same(result.l4, { added: [], changed: [], removed: [] }, 'the listener itself is unchanged (its pool changed in place)')
  t.match(result.targets, [{ pool: 'db', added: [String], removed: [String] }], 'one target in, one out')
  load.since()
  const before = load.connections
  // The open connection streams on while new ones go to b.
  for (let i = 0; i < 20; i++) await stream.roundTrip(Buffer.alloc(16 * 1024, i))
  while (load.connections < before + 40) await new Promise((resolve) => setTimeout(resolve, 10))
  const after = load.since()
  const loadResult = await load.stop()
  t.same(loadResult.failures, [], `0 failed connections in ${loadResult.connections}`)
  t.same([...after.keys()], ['b'], 'connections started after the reload went to b only')
  t.ok((after.get('b') ?? 0) >= 30, `b served ${after.get('b') ?? 0} connections after the reload`)
  t.equal(stream.echoed, 64 * 1024 + 20 * 16 * 1024, 'every byte of the open connection echoed back')
  t.equal(a.sockets.size, 1, 'a still holds the open connection')
  await stream.end()

  t.equal(gw.tcpPort(), port, 'same port: the listener kept its socket')
  const [listener] = gw.status()
  t.equal(listener?.total, loadResult.connections + 1, 'the listener counted every connection, before and after the reload')
  t.equal(listener?.connectFailures, 0)
})
