/**
 * A reload whose new tcp listener cannot bind (its port is taken by another
 * process's socket) is refused whole: PUT /config answers 400 naming
 * `config.tcp.2.port`, the listener the same reload had already bound is
 * closed again, the new pool is not added, GET /config still shows the old
 * config, and the old listener keeps serving (its open connection too).
 */
import t from 'tap'
import { createServer, type AddressInfo } from 'node:net'
import { connectRefused as refused, deadTcpPort, namedEchoTcp, openEchoStream, startL4Gateway, startTcpBackend } from '../helpers/l4.js'
import { adminAddress } from '../../plugins/admin/index.js'

t.test('a new listener whose port is taken: 400 naming the field, nothing changed', async (t) => {
  const a = await startTcpBackend('a', namedEchoTcp)
  const b = await startTcpBackend('b', namedEchoTcp)
  const squatter = createServer()
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve))
  const takenPort = (squatter.address() as AddressInfo).port
  const freePort = await deadTcpPort()
  const running = { pools: { db: { targets: [a.url] } }, tcp: [{ port: 0, host: '127.0.0.1', pool: 'db' }] }
  const gw = await startL4Gateway(running)
  t.teardown(async () => {
    await gw.close(); await a.stop(); await b.stop()
    if (squatter.listening) await new Promise<void>((resolve) => squatter.close(() => { resolve() }))
  })
  const port = gw.tcpPort()
  const open = await openEchoStream(port)
  const admin = adminAddress(gw.app)

  const next = {
    pools: { db: { targets: [b.url] }, added: { targets: [b.url] } },
    tcp: [
      { port, host: '127.0.0.1', pool: 'db' },
      { port: freePort, host: '127.0.0.1', pool: 'added' },
      { port: takenPort, host: '127.0.0.1', pool: 'added' }
    ]
  }
  const res = await fetch(`${admin}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) })
  t.equal(res.status, 400)
  const body = await res.json() as { field: string, message: string }
  t.equal(body.field, 'config.tcp.2.port', 'names the listener whose port is taken')
  t.match(body.message, new RegExp(`^config\\.tcp\\.2\\.port ${takenPort} is in use`))

  t.ok(await refused(freePort), 'the listener this reload had bound before the failure is closed again')
  t.same(gw.app.switchyard.pools.names(), ['db'], 'the new pool was not added')
  t.same(gw.app.switchyard.pools.get('db')?.targets.map((x) => x.url.port), [String(a.port)], 'the pool keeps its targets')
  const current = await (await fetch(`${admin}/config`)).json() as { configVersion: number, config: { tcp: unknown[] } }
  t.equal(current.configVersion, 1, 'no new version')
  t.match(current.config.tcp, running.tcp, 'GET /config shows the running listeners')
  t.equal(current.config.tcp.length, 1)

  await open.roundTrip(Buffer.alloc(8 * 1024, 5))
  const fresh = await openEchoStream(port)
  t.equal(fresh.backend, 'a', 'the old config still serves new connections')
  await fresh.end()
  await open.end()
  t.equal(gw.status().length, 1, 'one listener')

  // The same reload once the port is free applies whole.
  await new Promise<void>((resolve) => squatter.close(() => { resolve() }))
  const retry = await fetch(`${admin}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) })
  t.equal(retry.status, 200)
  t.equal(gw.status().length, 3, 'all three listeners now')
  const onTaken = await openEchoStream(takenPort)
  t.equal(onTaken.backend, 'b')
  await onTaken.end()
})
