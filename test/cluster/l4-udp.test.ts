/**
 * With 2 workers, a `udp` listener serves: each client's datagrams reach a
 * backend and the replies come back to that client, from the listener's
 * port. The workers share the socket but one reads it, so a client's
 * datagrams all leave from one upstream socket (one session, one target).
 * When that worker dies the other takes the socket over at once (new
 * sessions; the dead one's are gone), the replacement worker does not split
 * them again, and `/status` counts the sessions of the reading worker.
 */
import t from 'tap'
import { createSocket, type Socket } from 'node:dgram'
import { writeConfigFile } from '../helpers/config-file.js'
import { startUdpBackend, type UdpBackend } from '../helpers/l4.js'
import { startCluster, getOnce, killOnTeardown, l4Port, logEntries, sleep, CLUSTER_START_TIMEOUT_MS, type TestCluster } from './cluster.js'
import type { ClusterStatus } from '../../cluster/status-merge.js'

// Spawns a 2-worker cluster (3 processes under tsx), and a replacement worker: more than tap's default.
t.setTimeout(300_000)

const DATAGRAMS = 24

/** Send `count` datagrams from `client` one at a time, each waiting for its reply: the replies and the ports they came from. */
async function exchange (client: Socket, port: number, label: string, count: number): Promise<{ replies: string[], fromPorts: Set<number> }> {
  const replies: string[] = []
  const fromPorts = new Set<number>()
  for (let i = 0; i < count; i++) {
    const reply = await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => { client.off('message', onMessage); resolve(undefined) }, 5_000)
      const onMessage = (message: Buffer, rinfo: { port: number }): void => {
        clearTimeout(timer)
        client.off('message', onMessage)
        fromPorts.add(rinfo.port)
        resolve(message.toString())
      }
      client.on('message', onMessage)
      client.send(`${label}-${i}`, port, '127.0.0.1')
    })
    if (reply === undefined) break
    replies.push(reply)
  }
  return { replies, fromPorts }
}

async function udpClient (t: { teardown: (fn: () => void) => void }): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  t.teardown(() => { socket.close() })
  return socket
}

/** Upstream sockets (gateway side address:port) that the backends saw, over both. */
const peersOf = (...backends: UdpBackend[]): Set<string> => new Set(backends.flatMap((backend) => [...backend.peers]))

/** pid of the worker the primary last named reader of the UDP sockets. */
function readerPid (cluster: TestCluster): number | undefined {
  const named = logEntries(cluster.app).filter((e) => e.msg === 'worker reads the shared UDP sockets')
  const last = named[named.length - 1]
  return last === undefined ? undefined : Number(last.workerPid)
}

t.test('udp with 2 workers: replies to the client, one session per client, across a worker\'s death', async (t) => {
  const u1 = await startUdpBackend('u1')
  const u2 = await startUdpBackend('u2')
  t.teardown(async () => { await u1.stop(); await u2.stop() })
  const config = writeConfigFile({ pools: { dns: { targets: [u1.url, u2.url] } }, udp: [{ port: 0, pool: 'dns' }] })
  const cluster = await startCluster({ GATEWAY_CONFIG: config })
  killOnTeardown(t, cluster)
  const port = l4Port(cluster, 'udp')
  const reader = readerPid(cluster)
  t.ok(reader !== undefined && cluster.workerPids.includes(reader), 'the primary named one worker reader of the UDP sockets')

  const first = await udpClient(t)
  const one = await exchange(first, port, 'first', DATAGRAMS)
  t.equal(one.replies.length, DATAGRAMS, 'every datagram got its reply')
  t.same([...one.fromPorts], [port], 'every reply came from the listener\'s port')
  const target = one.replies[0]?.split(':')[0]
  t.same(one.replies, one.replies.map((_r, i) => `${target}:first-${i}`), 'one target answered all, in order')
  t.equal(peersOf(u1, u2).size, 1, 'all of the client\'s datagrams left from one upstream socket (one session)')

  const second = await udpClient(t)
  const two = await exchange(second, port, 'second', DATAGRAMS)
  t.equal(two.replies.length, DATAGRAMS, 'a second client: every reply')
  t.equal(peersOf(u1, u2).size, 2, 'its own session: one more upstream socket')

  // The reading worker dies: the other one reads from now on.
  process.kill(reader as number, 'SIGKILL')
  const deadline = Date.now() + 15_000
  while ((readerPid(cluster) === reader || readerPid(cluster) === undefined) && Date.now() < deadline) await sleep(50)
  const survivor = readerPid(cluster)
  t.ok(survivor !== undefined && survivor !== reader && cluster.workerPids.includes(survivor), 'the surviving worker took the UDP sockets over')
  const peersBefore = peersOf(u1, u2).size
  const third = await udpClient(t)
  const three = await exchange(third, port, 'third', DATAGRAMS / 2)
  t.equal(three.replies.length, DATAGRAMS / 2, 'served while the dead worker is being replaced')

  // The replacement listens and does not read: the third client stays in its one session.
  await cluster.app.waitForLog(/^worker listening$/, CLUSTER_START_TIMEOUT_MS, (e) => !cluster.workerPids.includes(Number(e.workerPid)))
  const more = await exchange(third, port, 'third-more', DATAGRAMS / 2)
  t.equal(more.replies.length, DATAGRAMS / 2, 'served after the replacement started')
  t.equal(peersOf(u1, u2).size, peersBefore + 1, 'the third client\'s datagrams made one session, before and after the replacement')
  t.equal(readerPid(cluster), survivor, 'the reader stays the surviving worker')

  const status = JSON.parse((await getOnce(`${cluster.adminUrl}/status`)).body.toString()) as ClusterStatus
  const listener = status.l4?.find((l) => l.protocol === 'udp')
  t.match(listener, { address: `127.0.0.1:${port}`, pool: 'dns', active: 1, total: 1, connectFailures: 0 },
    '/status: the one session of the reading worker (the dead worker\'s went with it)')
  t.equal(listener?.bytesIn, [...Array(DATAGRAMS / 2).keys()].reduce((sum, i) => sum + `third-${i}`.length + `third-more-${i}`.length, 0), 'bytes of the third client\'s datagrams')
})
