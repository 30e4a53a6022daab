/**
 * Active health `type: "tcp"`: a target whose port stops accepting is marked
 * down (new connections go elsewhere) and comes back when it accepts again;
 * `health.port` probes another port of the target.
 */
import t from 'tap'
import { nameTcp, startL4Gateway, startTcpBackend, tcpExchange, deadTcpPort } from '../helpers/l4.js'

async function waitFor (check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  return check()
}

t.test('health type tcp marks a dead target down, and up again', async (t) => {
  const a = await startTcpBackend('a', nameTcp)
  const b = await startTcpBackend('b', nameTcp)
  const gw = await startL4Gateway({
    pools: { db: { targets: [a.url, b.url], health: { type: 'tcp', intervalMs: 50, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 2 } } },
    tcp: [{ port: 0, pool: 'db' }]
  })
  t.teardown(async () => { await gw.close(); await a.stop() })
  const [targetA, targetB] = gw.app.switchyard.pools.get('db')?.targets ?? []
  t.ok(await waitFor(() => a.connections > 0 && b.connections > 0), 'both targets probed by connecting')
  t.equal(targetB?.healthy, true)
  await b.stop()
  t.ok(await waitFor(() => targetB?.healthy === false), 'b marked down after its port stopped accepting')
  t.match(targetB?.reason, /health check failed 2 times: ECONNREFUSED/)
  const probesOfA = a.connections
  for (let i = 0; i < 6; i++) t.equal((await tcpExchange(gw.tcpPort())).toString(), 'a', `connection ${i} went to a`)
  t.ok(a.connections >= probesOfA + 6)
  t.equal(targetA?.healthy, true)
})

t.test('health.port: the probe connects to another port of the target', async (t) => {
  const served = await startTcpBackend('served', nameTcp)
  const dead = await deadTcpPort()
  const gw = await startL4Gateway({
    pools: { db: { targets: [served.url], health: { type: 'tcp', port: dead, intervalMs: 50, timeoutMs: 500, unhealthyThreshold: 1 } } },
    tcp: [{ port: 0, pool: 'db' }]
  })
  t.teardown(async () => { await gw.close(); await served.stop() })
  const target = gw.app.switchyard.pools.get('db')?.targets[0]
  t.ok(await waitFor(() => target?.healthy === false), 'down: its health port refuses, though its service port accepts')
  t.equal(served.connections, 0, 'the service port was never probed')
})
