/**
 * L4 picks use the pool's balancer without an HTTP request: `consistent-hash`
 * keys on the client IP (every connection from 127.0.0.1 → one target),
 * `least-connections` counts open connections, and a draining target keeps
 * its open connection while new ones go elsewhere.
 */
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { nameTcp, startL4Gateway, startTcpBackend, tcpExchange } from '../helpers/l4.js'

t.test('consistent-hash by client ip: one client, one target', async (t) => {
  const backends = await Promise.all(['a', 'b', 'c'].map(async (name) => await startTcpBackend(name, nameTcp)))
  const gw = await startL4Gateway({ pools: { p: { targets: backends.map((b) => b.url), balancer: 'consistent-hash', hashKey: 'ip' } }, tcp: [{ port: 0, pool: 'p' }] })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const seen = new Set<string>()
  for (let i = 0; i < 12; i++) seen.add((await tcpExchange(gw.tcpPort())).toString())
  t.equal(seen.size, 1, `12 connections from 127.0.0.1 all went to ${[...seen].join(',')}`)
})

t.test('least-connections counts open connections; draining keeps them', async (t) => {
  const backends = await Promise.all(['a', 'b'].map(async (name) => await startTcpBackend(name)))
  const gw = await startL4Gateway({ pools: { p: { targets: backends.map((b) => b.url), balancer: 'least-connections' } }, tcp: [{ port: 0, pool: 'p' }] })
  const held: Socket[] = []
  t.teardown(async () => { for (const s of held) s.destroy(); await gw.close(); for (const b of backends) await b.stop() })
  for (let i = 0; i < 4; i++) {
    const socket = connect({ port: gw.tcpPort(), host: '127.0.0.1' })
    held.push(socket)
    socket.write('x')
    await once(socket, 'data')
  }
  const [a, b] = gw.app.switchyard.pools.get('p')?.targets ?? []
  t.same([a?.inFlight, b?.inFlight], [2, 2], 'open connections spread 2 and 2')
  if (a !== undefined) a.draining = true
  for (let i = 0; i < 2; i++) {
    const socket = connect({ port: gw.tcpPort(), host: '127.0.0.1' })
    held.push(socket)
    socket.write('x')
    await once(socket, 'data')
  }
  t.same([a?.inFlight, b?.inFlight], [2, 4], 'new connections avoid the draining target')
  const first = held[0] as Socket
  first.write('still here')
  const [echoed] = await once(first, 'data') as [Buffer]
  t.equal(echoed.toString(), 'still here', 'a connection open on the draining target keeps working')
  t.same(backends.map((x) => x.sockets.size), [2, 4])
})
