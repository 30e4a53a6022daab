/**
 * With 2 workers, SIGHUP to the primary reconciles the `tcp` listeners in
 * every worker: a listener the reload adds (here the gateway's first, it
 * started with none) serves in both workers (a `udp` one added with it
 * keeps each client in one session: one worker reads it); one whose pool the reload
 * changes sends new connections to the new targets (an open one stays on
 * its target); one the reload removes closes its port (connect refused)
 * while a connection it had open finishes. A reload that adds a listener on a
 * port in use is refused by both workers, and then changes nothing in the
 * primary either (the health-checked pool it adds gets no probe).
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { createSocket } from 'node:dgram'
import { writeConfigFile } from '../helpers/config-file.js'
import { connectRefused, deadTcpPort, namedEchoTcp, openEchoStream, startTcpBackend, startUdpBackend, udpAsk } from '../helpers/l4.js'
import { startCluster, getOnce, killOnTeardown, logEntries, loggedBy, sleep, waitForReloads, type TestCluster } from './cluster.js'
import type { ClusterStatus } from '../../cluster/status-merge.js'

// Spawns a 2-worker cluster (3 processes under tsx): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

const CONNECTIONS = 8

/** `count` connections in turn through `port`: the backends that answered, and the pids of the workers that logged them. */
async function connectSeveral (cluster: TestCluster, port: number, count: number): Promise<{ backends: string[], workers: number[] }> {
  const before = loggedBy(cluster, 'tcp access').length
  const backends: string[] = []
  for (let i = 0; i < count; i++) {
    const stream = await openEchoStream(port)
    await stream.roundTrip(Buffer.from(`ping ${i}`))
    await stream.end()
    backends.push(stream.backend)
  }
  const deadline = Date.now() + 10_000
  while (loggedBy(cluster, 'tcp access').length < before + count && Date.now() < deadline) await sleep(50)
  return { backends, workers: [...new Set(loggedBy(cluster, 'tcp access').slice(before))].sort() }
}

t.test('SIGHUP adds, re-pools and removes a tcp listener in both workers', async (t) => {
  const a = await startTcpBackend('a', namedEchoTcp)
  const b = await startTcpBackend('b', namedEchoTcp)
  const u = await startUdpBackend('u')
  const client = createSocket('udp4')
  t.teardown(async () => { client.close(); await a.stop(); await b.stop(); await u.stop() })
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve))
  const pools = { first: { targets: [a.url] }, second: { targets: [b.url] }, dns: { targets: [u.url] } }
  // `tcp: []`: a file needs routes or listeners; this one starts with neither.
  const path = writeConfigFile({ pools, tcp: [] })
  const cluster = await startCluster({ GATEWAY_CONFIG: path })
  killOnTeardown(t, cluster)
  const workers = [...cluster.workerPids].sort()
  const port = await deadTcpPort()
  t.ok(await connectRefused(port), 'nothing listens on the port before the reload')

  // 1. Added (the first L4 listeners of a gateway that started with none).
  const udpPort = await deadTcpPort()
  writeFileSync(path, JSON.stringify({ pools, tcp: [{ port, pool: 'first' }], udp: [{ port: udpPort, pool: 'dns' }] }))
  cluster.app.child.kill('SIGHUP')
  t.ok(await waitForReloads(cluster, 2), 'both workers reloaded (version 2)')
  const added = await connectSeveral(cluster, port, CONNECTIONS)
  t.same(added.backends, Array(CONNECTIONS).fill('a'), 'the added listener serves, from its pool')
  t.same(added.workers, workers, 'in both workers')
  const replies: string[] = []
  for (let i = 0; i < 16; i++) replies.push(await udpAsk(client, udpPort, `d${i}`))
  t.same(replies, replies.map((_r, i) => `u:d${i}`), 'the added udp listener answers every datagram')
  t.equal(u.peers.size, 1, 'from one upstream socket: one session, though both workers hold the socket')

  // 2. Its pool changed: new connections go to the new target; one open before stays on a.
  const open = await openEchoStream(port)
  t.equal(open.backend, 'a')
  writeFileSync(path, JSON.stringify({ pools, tcp: [{ port, pool: 'second' }] }))
  cluster.app.child.kill('SIGHUP')
  t.ok(await waitForReloads(cluster, 3), 'both workers reloaded (version 3)')
  const repooled = await connectSeveral(cluster, port, CONNECTIONS)
  t.same(repooled.backends, Array(CONNECTIONS).fill('b'), 'every new connection goes to the new pool\'s target')
  t.same(repooled.workers, workers, 'in both workers')
  await open.roundTrip(Buffer.from('still here'))
  t.pass('the connection opened before the pool change still flows')

  // A reload both workers refuse (a new listener's port is in use): nothing changes, in the primary neither.
  const probes: number[] = []
  const c = await startTcpBackend('c', (socket) => { probes.push(Date.now()); socket.end() })
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await c.stop(); await new Promise((resolve) => busy.close(resolve)) })
  const busyPort = (busy.address() as AddressInfo).port
  writeFileSync(path, JSON.stringify({
    pools: { ...pools, checked: { targets: [c.url], health: { type: 'tcp', intervalMs: 200, timeoutMs: 2000 } } },
    tcp: [{ port, pool: 'first' }, { port: busyPort, pool: 'checked' }]
  }))
  cluster.app.child.kill('SIGHUP')
  const refusals = (): number => logEntries(cluster.app).filter((e) => String(e.msg).startsWith('config reload refused, running config kept:')).length
  const until = Date.now() + 20_000
  while (refusals() < 2 && Date.now() < until) await sleep(50)
  t.equal(refusals(), 2, 'both workers refused it')
  t.match(logEntries(cluster.app).find((e) => String(e.msg).startsWith('config reload refused'))?.msg, /tcp\.1\.port.*in use/, 'naming the port in use')
  await cluster.app.waitForLog(/^SIGHUP: a worker refused the config/, 10_000)
  await sleep(1500)
  t.equal(probes.length, 0, 'the refused config\'s health-checked pool is not checked: the primary kept its pools')
  const kept = await connectSeveral(cluster, port, 4)
  t.same(kept.backends, Array(4).fill('b'), 'the running config is kept: still the second pool')

  // 3. Removed: the port closes once both workers let it go; the open connection finishes.
  writeFileSync(path, JSON.stringify({ pools, tcp: [] }))
  cluster.app.child.kill('SIGHUP')
  t.ok(await waitForReloads(cluster, 4), 'both workers reloaded (version 4)')
  let refused = false
  const deadline = Date.now() + 5_000
  while (!(refused = await connectRefused(port)) && Date.now() < deadline) await sleep(100)
  t.ok(refused, 'connect refused: the removed listener\'s port is closed')
  await open.roundTrip(Buffer.from('after removal'))
  t.pass('the connection it had open still flows (it drains)')
  await open.end()
  const status = JSON.parse((await getOnce(`${cluster.adminUrl}/status`)).body.toString()) as ClusterStatus
  t.same(status.workers.map((w) => w.configVersion), [4, 4], '/status: each worker runs config version 4 (the refused reload bumped none)')
  t.equal(cluster.app.child.exitCode, null, 'still running')
})
