/**
 * A gateway that started with HTTP routes only gets its first tcp listener
 * from a reload: it serves, /status (and /metrics) show it, and closing the
 * app closes it (the test would hang on a listener left open).
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { deadTcpPort, namedEchoTcp, openEchoStream, startTcpBackend } from '../helpers/l4.js'
import { adminAddress } from '../../plugins/admin/index.js'

t.test('the first L4 listener, brought by a reload', async (t) => {
  const web = await startBackend('web')
  const db = await startTcpBackend('db', namedEchoTcp)
  const http = { pools: { app: { targets: [web.url] } }, routes: [{ path: '/', pool: 'app' }] }
  const gw = await startAppGateway({ GATEWAY_CONFIG: writeConfigFile(http), HOST: '127.0.0.1' })
  t.teardown(async () => { await web.stop(); await db.stop() })
  t.equal(gw.app.switchyard.l4, undefined, 'no L4 at start')
  const port = await deadTcpPort()

  const result = await gw.app.switchyardConfig.replace({ ...http, pools: { ...http.pools, db: { targets: [db.url] } }, tcp: [{ port, pool: 'db' }] })
  t.same(result.l4.added, [`tcp 127.0.0.1:${port}`])
  const stream = await openEchoStream(port)
  t.equal(stream.backend, 'db', 'the new listener serves')
  await stream.roundTrip(Buffer.from('hello'))
  await stream.end()
  const status = await (await fetch(`${adminAddress(gw.app)}/status`)).json() as { l4?: Array<{ address: string, total: number }> }
  t.match(status.l4, [{ address: `127.0.0.1:${port}`, total: 1 }], '/status shows it')
  const metrics = await (await fetch(`${adminAddress(gw.app)}/metrics`)).text()
  t.match(metrics, new RegExp(`switchyard_l4_connections_total\\{[^}]*listener="127\\.0\\.0\\.1:${port}"[^}]*\\} 1`), '/metrics counts it')
  t.equal(((await (await fetch(`${gw.url}/x`)).json()) as { backend: string }).backend, 'web', 'HTTP routes still served')

  await gw.close()
  const refused = await openEchoStream(port).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED')
  t.ok(refused, 'closing the app closed the listener')
})
