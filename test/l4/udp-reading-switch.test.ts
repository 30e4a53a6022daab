/**
 * `L4ListenerSet` with `udpReading: false` (a cluster worker that is not the
 * one reading the shared UDP sockets) binds its UDP listeners without reading
 * them: a client's datagrams wait in the socket's kernel buffer, unanswered;
 * `setUdpReading(true)` reads them (the waiting ones first) and they are
 * answered in one session. A listener a later reload adds follows the set's
 * current setting.
 */
import t from 'tap'
import { createSocket } from 'node:dgram'
import { PoolRegistry } from '../../plugins/pools/index.js'
import { PoolsConfigSchema } from '../../plugins/pools/options.js'
import { validateWithSchema } from '../../lib/validate.js'
import { L4ListenerSet, prepareListeners } from '../../plugins/l4/listener-set.js'
import { startUdpBackend } from '../helpers/l4.js'

/** Long enough for a datagram on loopback to be read and answered many times over, were the socket read. */
const QUIET_MS = 300

t.test('a set that does not read UDP binds, holds the datagrams, and reads them when told', async (t) => {
  const backend = await startUdpBackend('u1')
  const pools = new PoolRegistry(validateWithSchema(PoolsConfigSchema, { dns: { targets: [backend.url] } }, 'pools'))
  const set = new L4ListenerSet({ defaultHost: '127.0.0.1', udpReading: false })
  const client = createSocket('udp4')
  t.teardown(async () => { client.close(); await set.close(); await pools.close(); await backend.stop() })
  set.initialize(prepareListeners([], [{ port: 0, pool: 'dns' }], '', (name) => pools.get(name), '127.0.0.1'))
  await set.listen()
  const port = (set.listeners[0]?.address() as { port: number }).port
  const replies: string[] = []
  client.on('message', (message) => { replies.push(message.toString()) })
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve))

  client.send('one', port, '127.0.0.1')
  client.send('two', port, '127.0.0.1')
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS))
  t.same(replies, [], 'not read: no reply, no session')
  t.equal(backend.datagrams, 0, 'nothing reached the backend')
  t.equal(set.describe()[0]?.total, 0)

  set.setUdpReading(true)
  const deadline = Date.now() + 5_000
  while (replies.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  t.same(replies, ['u1:one', 'u1:two'], 'the waiting datagrams are read and answered, in order')
  t.equal(backend.peers.size, 1, 'one session')

  // A listener a reload adds reads as the set does now; told to stop, it stops.
  const plan = set.stage(prepareListeners([], [{ port, pool: 'dns' }, { port: 0, pool: 'dns' }], '', (name) => pools.get(name), '127.0.0.1'))
  await set.bind(plan)
  set.commit(plan)
  const added = set.listeners[1]
  const addedPort = (added?.address() as { port: number }).port
  client.send('three', addedPort, '127.0.0.1')
  const until = Date.now() + 5_000
  while (replies.length < 3 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(replies[2], 'u1:three', 'the added listener reads')
  set.setUdpReading(false)
  client.send('four', addedPort, '127.0.0.1')
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS))
  t.equal(replies.length, 3, 'told to stop reading: no reply')
})
