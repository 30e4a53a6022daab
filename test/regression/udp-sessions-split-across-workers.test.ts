/**
 * Regression: with GATEWAY_WORKERS > 1 one client's UDP datagrams were split
 * between the workers. node:cluster shares a UDP socket (the primary binds it
 * and gives every worker the same socket); each worker read some of the
 * client's datagrams and opened a session of its own for them, so they left
 * from several upstream sockets (and, with round-robin, to several targets).
 * nginx needs `reuseport` for the same reason. Now one worker at a time reads
 * the shared sockets: every datagram of a client leaves from one upstream
 * socket, to one target.
 */
import t from 'tap'
import { createSocket } from 'node:dgram'
import { writeConfigFile } from '../helpers/config-file.js'
import { startUdpBackend, udpAsk } from '../helpers/l4.js'
import { startCluster, killOnTeardown, l4Port } from '../cluster/cluster.js'

// Spawns a 2-worker cluster (3 processes under tsx): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

const DATAGRAMS = 30

t.test('one client\'s datagrams make one session with 2 workers', async (t) => {
  const u1 = await startUdpBackend('u1')
  const u2 = await startUdpBackend('u2')
  const client = createSocket('udp4')
  t.teardown(async () => { client.close(); await u1.stop(); await u2.stop() })
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve))
  const config = writeConfigFile({ pools: { dns: { targets: [u1.url, u2.url] } }, udp: [{ port: 0, pool: 'dns' }] })
  const cluster = await startCluster({ GATEWAY_CONFIG: config })
  killOnTeardown(t, cluster)
  const port = l4Port(cluster, 'udp')

  // One at a time (each waits for its reply): every datagram wakes the workers anew.
  const replies: string[] = []
  for (let i = 0; i < DATAGRAMS; i++) replies.push(await udpAsk(client, port, `d${i}`))
  const targets = new Set(replies.map((reply) => reply.split(':')[0]))
  t.equal(targets.size, 1, `one target answered every datagram (${[...targets].join(', ')})`)
  const upstreamSockets = new Set([...u1.peers, ...u2.peers])
  t.equal(upstreamSockets.size, 1, `all left from one upstream socket (saw ${upstreamSockets.size})`)
  t.equal(u1.datagrams + u2.datagrams, DATAGRAMS)
})
