/**
 * Regression: with GATEWAY_WORKERS > 1, a pool that a reload added was never
 * actively health-checked. The workers do not check (the primary does, for
 * all), and the primary's reload only updated the targets of pools it
 * already had: a new pool (here an L4 one behind a new tcp listener) got no
 * checker, so a dead target stayed "healthy" everywhere. Now, once every
 * worker applied a reload, the primary's pools go through the same
 * plan/apply as a worker's and its checkers follow them: the new pool is
 * probed once per interval, its dead target is marked down in /status and
 * the workers send no connection to it; removed by the admin's `PUT /config`,
 * it is probed no more.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { writeConfigFile } from '../helpers/config-file.js'
import { deadTcpPort, namedEchoTcp, openEchoStream, startTcpBackend } from '../helpers/l4.js'
import { startCluster, getOnce, killOnTeardown, sleep, waitForReloads } from '../cluster/cluster.js'
import type { ClusterStatus } from '../../cluster/status-merge.js'

// Spawns a 2-worker cluster (3 processes under tsx): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

const INTERVAL_MS = 400

t.test('a pool added by SIGHUP is health-checked, once per interval, with 2 workers', async (t) => {
  const probes: number[] = []
  const live = await startTcpBackend('live', (socket, backend) => { probes.push(Date.now()); namedEchoTcp(socket, backend) })
  const other = await startTcpBackend('other', namedEchoTcp)
  t.teardown(async () => { await live.stop(); await other.stop() })
  const dead = `tcp://127.0.0.1:${await deadTcpPort()}`
  const pools = { first: { targets: [other.url] } }
  const path = writeConfigFile({ pools, tcp: [] })
  const cluster = await startCluster({ GATEWAY_CONFIG: path })
  killOnTeardown(t, cluster)

  const port = await deadTcpPort()
  writeFileSync(path, JSON.stringify({
    pools: { ...pools, checked: { targets: [dead, live.url], health: { type: 'tcp', intervalMs: INTERVAL_MS, timeoutMs: 2000, unhealthyThreshold: 1 } } },
    tcp: [{ port, pool: 'checked' }]
  }))
  cluster.app.child.kill('SIGHUP')
  t.ok(await waitForReloads(cluster, 2), 'both workers reloaded')

  const windowMs = 4000
  const from = Date.now()
  await sleep(windowMs)
  const inWindow = probes.filter((at) => at >= from && at < from + windowMs).length
  const oneChecker = Math.floor(windowMs / (0.9 * INTERVAL_MS)) + 1
  t.ok(inWindow >= 3, `${inWindow} probes of the new pool's target in ${windowMs} ms: it is checked`)
  t.ok(inWindow <= oneChecker, `${inWindow} probes: at most ${oneChecker}, one checker for both workers`)

  const status = JSON.parse((await getOnce(`${cluster.adminUrl}/status`)).body.toString()) as ClusterStatus
  const targets = status.pools.find((pool) => pool.name === 'checked')?.targets ?? []
  t.equal(targets.find((target) => target.url === dead)?.condition, 'unhealthy', 'the dead target of the new pool is down in /status')
  t.equal(targets.find((target) => target.url === live.url)?.condition, 'healthy')

  const backends: string[] = []
  for (let i = 0; i < 6; i++) {
    const stream = await openEchoStream(port)
    backends.push(stream.backend)
    await stream.end()
  }
  t.same(backends, Array(6).fill('live'), 'every connection went to the live target')
  const after = JSON.parse((await getOnce(`${cluster.adminUrl}/status`)).body.toString()) as ClusterStatus
  t.equal(after.l4?.[0]?.connectFailures, 0, 'no worker tried the dead target (the primary\'s result reached both)')

  // Removed through the primary's admin (forwarded to both workers, then followed by the primary): no more probes.
  const put = await fetch(`${cluster.adminUrl}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pools, tcp: [] }) })
  t.equal(put.status, 200, 'PUT /config applied')
  t.ok(await waitForReloads(cluster, 3), 'both workers reloaded')
  // A probe already in flight may still land.
  await sleep(2 * INTERVAL_MS)
  const settled = probes.length
  await sleep(1500)
  t.equal(probes.length, settled, 'the removed pool is no longer probed')
})
