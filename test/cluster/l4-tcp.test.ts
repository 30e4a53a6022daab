/**
 * With 2 workers, a `tcp` listener of the config file serves: connections
 * are proxied (bytes both ways), the primary hands them to both workers in
 * turn, and the primary's `/status` `l4` section and `/metrics` count the
 * connections and bytes of both workers.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { writeConfigFile } from '../helpers/config-file.js'
import { namedEchoTcp, openEchoStream, startTcpBackend } from '../helpers/l4.js'
import { startCluster, killOnTeardown, getOnce, l4Port, loggedBy, sleep } from './cluster.js'
import type { ClusterStatus } from '../../cluster/status-merge.js'

// Spawns a 2-worker cluster (3 processes under tsx): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

const CONNECTIONS = 12
const PAYLOAD_BYTES = 16

t.test('a tcp listener serves with 2 workers; /status and /metrics count both', async (t) => {
  const a = await startTcpBackend('a', namedEchoTcp)
  const b = await startTcpBackend('b', namedEchoTcp)
  t.teardown(async () => { await a.stop(); await b.stop() })
  const config = writeConfigFile({ pools: { db: { targets: [a.url, b.url] } }, tcp: [{ port: 0, pool: 'db' }] })
  const cluster = await startCluster({ GATEWAY_CONFIG: config })
  killOnTeardown(t, cluster)
  const port = l4Port(cluster, 'tcp')

  // One connection at a time, each new: round-robin puts every other one on each worker.
  const servedBy: string[] = []
  for (let i = 0; i < CONNECTIONS; i++) {
    const stream = await openEchoStream(port)
    await stream.roundTrip(randomBytes(PAYLOAD_BYTES))
    await stream.end()
    servedBy.push(stream.backend)
  }
  t.equal(servedBy.length, CONNECTIONS, 'every connection was proxied and echoed')
  t.equal(a.connections + b.connections, CONNECTIONS, 'the backends saw each connection once')
  t.ok(a.connections > 0 && b.connections > 0, `both targets served (a ${a.connections}, b ${b.connections})`)

  // Each closed connection logs one `tcp access` line in the worker that served it.
  const deadline = Date.now() + 10_000
  while (loggedBy(cluster, 'tcp access').length < CONNECTIONS && Date.now() < deadline) await sleep(50)
  const pids = loggedBy(cluster, 'tcp access')
  t.equal(pids.length, CONNECTIONS, 'one access line per connection')
  t.same([...new Set(pids)].sort(), [...cluster.workerPids].sort(), 'both workers took connections')
  const perWorker = cluster.workerPids.map((pid) => pids.filter((p) => p === pid).length)
  t.ok(perWorker.every((n) => n >= CONNECTIONS / 4), `round-robin shares them (${perWorker.join(' / ')})`)

  const status = JSON.parse((await getOnce(`${cluster.adminUrl}/status`)).body.toString()) as ClusterStatus
  t.equal(status.workers.length, 2, 'both workers reported')
  const listener = status.l4?.find((l) => l.protocol === 'tcp')
  t.ok(listener !== undefined, '/status has the tcp listener')
  // bytesOut: the backend's name and a newline, then the echo.
  t.match(listener, {
    address: `127.0.0.1:${port}`,
    pool: 'db',
    active: 0,
    total: CONNECTIONS,
    bytesIn: CONNECTIONS * PAYLOAD_BYTES,
    bytesOut: CONNECTIONS * (PAYLOAD_BYTES + 2),
    connectFailures: 0
  }, 'the listener counts every connection of both workers')
  const byUrl = new Map(listener?.targets.map((target) => [target.url, target]))
  t.equal(byUrl.get(a.url)?.total, a.connections, 'target a: what a saw')
  t.equal(byUrl.get(b.url)?.total, b.connections, 'target b: what b saw')

  const metrics = (await getOnce(`${cluster.adminUrl}/metrics`)).body.toString()
  t.match(metrics, `switchyard_l4_connections_total{protocol="tcp",listener="127.0.0.1:${port}",pool="db",target=""} ${CONNECTIONS}`, '/metrics sums both workers')
})
