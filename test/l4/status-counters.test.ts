/**
 * `/status` has an `l4` section and `/metrics` L4 series: per listener and
 * per target, active and total connections, bytes in/out, connect failures.
 */
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { adminAddress } from '../../plugins/admin/index.js'
import { deadTcpPort, startL4Gateway, startTcpBackend, tcpExchange } from '../helpers/l4.js'

t.test('/status and /metrics show the L4 counters', async (t) => {
  const echo = await startTcpBackend('echo')
  const dead = `tcp://127.0.0.1:${await deadTcpPort()}`
  const gw = await startL4Gateway({ pools: { p: { targets: [dead, echo.url], retries: 1 } }, tcp: [{ port: 0, pool: 'p' }] })
  t.teardown(async () => { await gw.close(); await echo.stop() })
  const port = gw.tcpPort()
  t.equal((await tcpExchange(port, 'hello')).toString(), 'hello', 'dead target tried first, then echo')
  t.equal((await tcpExchange(port, 'abc')).toString(), 'abc', 'again (round robin starts at the dead one each time: no outlier detection here)')
  const open = connect({ port, host: '127.0.0.1' })
  open.write('12345678')
  await once(open, 'data')
  t.teardown(() => open.destroy())

  const admin = adminAddress(gw.app)
  const status = await (await fetch(`${admin}/status`)).json() as { l4: Array<Record<string, unknown> & { targets: Array<Record<string, unknown>> }> }
  t.equal(status.l4.length, 1)
  const listener = status.l4[0]
  t.match(listener, { protocol: 'tcp', address: `127.0.0.1:${port}`, pool: 'p', active: 1, total: 3, bytesIn: 16, bytesOut: 16, connectFailures: 3 })
  const byUrl = new Map(listener?.targets.map((target) => [target.url, target]))
  t.match(byUrl.get(dead), { pool: 'p', active: 0, total: 0, connectFailures: 3, bytesIn: 0 })
  t.match(byUrl.get(echo.url), { pool: 'p', active: 1, total: 3, connectFailures: 0, bytesIn: 16, bytesOut: 16 })

  const metrics = await (await fetch(`${admin}/metrics`)).text()
  const id = byUrl.get(echo.url)?.id as string
  t.match(metrics, `switchyard_l4_active_connections{protocol="tcp",listener="127.0.0.1:${port}",pool="p",target=""} 1`)
  t.match(metrics, `switchyard_l4_connections_total{protocol="tcp",listener="127.0.0.1:${port}",pool="p",target="${id}"} 3`)
  t.match(metrics, `switchyard_l4_received_bytes_total{protocol="tcp",listener="127.0.0.1:${port}",pool="p",target="${id}"} 16`)
  t.match(metrics, `switchyard_l4_connect_failures_total{protocol="tcp",listener="127.0.0.1:${port}",pool="p",target=""} 3`)
})
