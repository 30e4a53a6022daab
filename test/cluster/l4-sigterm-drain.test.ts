/**
 * With 2 workers, SIGTERM to the primary drains the tcp listeners of both:
 * new connections are refused once the workers stopped accepting, the
 * connections open on each worker keep flowing until their clients end
 * them, and the primary exits 0.
 */
import t from 'tap'
import { writeConfigFile } from '../helpers/config-file.js'
import { connectRefused, namedEchoTcp, openEchoStream, startTcpBackend } from '../helpers/l4.js'
import { startCluster, killOnTeardown, l4Port, loggedBy, sleep } from './cluster.js'

// Spawns a 2-worker cluster (3 processes under tsx): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

t.test('SIGTERM: both workers stop accepting and finish their open tcp connections', async (t) => {
  const db = await startTcpBackend('db', namedEchoTcp)
  t.teardown(async () => { await db.stop() })
  const cluster = await startCluster({ GATEWAY_CONFIG: writeConfigFile({ pools: { db: { targets: [db.url] } }, tcp: [{ port: 0, pool: 'db' }] }) })
  killOnTeardown(t, cluster)
  const port = l4Port(cluster, 'tcp')

  // Two connections in turn: round-robin gives one to each worker.
  const streams = [await openEchoStream(port), await openEchoStream(port)]
  for (const stream of streams) await stream.roundTrip(Buffer.from('before'))

  cluster.app.child.kill('SIGTERM')
  let refused = false
  const deadline = Date.now() + 10_000
  while (!(refused = await connectRefused(port)) && Date.now() < deadline) await sleep(50)
  t.ok(refused, 'new connections are refused: both workers stopped accepting')
  for (const stream of streams) await stream.roundTrip(Buffer.from('while draining'))
  t.pass('both open connections still flow')
  t.equal(cluster.app.child.exitCode, null, 'the primary waits for them')
  for (const stream of streams) await stream.end()

  t.equal(await cluster.app.exited, 0, 'the primary exited 0 once both workers finished')
  t.same([...new Set(loggedBy(cluster, 'tcp access'))].sort(), [...cluster.workerPids].sort(), 'each worker had one of the connections')
})
