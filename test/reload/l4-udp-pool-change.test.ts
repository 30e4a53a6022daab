/**
 * A reload that changes a udp listener's pool targets (a → b): the client
 * whose session is open keeps its target (a) for the session; a new client
 * gets b; the listener keeps its socket and counters. Then a reload naming
 * another pool and a deny list applies to new sessions only.
 */
import t from 'tap'
import { createSocket } from 'node:dgram'
import { startL4Gateway, startUdpBackend, udpAsk } from '../helpers/l4.js'

t.test('udp pool changed by reload: open sessions keep their target, new ones get the new targets', async (t) => {
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (name) => await startUdpBackend(name)))
  if (a === undefined || b === undefined || c === undefined) throw new Error('backends')
  const config = { pools: { dns: { targets: [a.url] }, other: { targets: [c.url] } }, udp: [{ port: 0, host: '127.0.0.1', pool: 'dns' }] }
  const gw = await startL4Gateway(config)
  const clients = Array.from({ length: 3 }, () => createSocket('udp4'))
  for (const client of clients) await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const client of clients) client.close()
    await gw.close()
    for (const x of [a, b, c]) await x.stop()
  })
  const [first, second, third] = clients as [typeof clients[0], typeof clients[0], typeof clients[0]]
  const port = gw.udpPort()
  t.equal(await udpAsk(first, port, 'one'), 'a:one')

  const result = await gw.app.switchyardConfig.replace({ ...config, pools: { ...config.pools, dns: { targets: [b.url] } } })
  t.same(result.l4, { added: [], changed: [], removed: [] })
  t.equal(await udpAsk(first, port, 'two'), 'a:two', 'the open session keeps its target')
  t.equal(await udpAsk(second, port, 'three'), 'b:three', 'a new session gets the new target')
  t.equal(gw.udpPort(), port, 'same socket')

  const changed = await gw.app.switchyardConfig.replace({ ...config, udp: [{ port, host: '127.0.0.1', pool: 'other', sessionTimeoutMs: 5000 }] })
  t.same(changed.l4.changed, [`udp 127.0.0.1:${port}`])
  t.equal(await udpAsk(second, port, 'four'), 'b:four', 'open sessions keep their target when the listener names another pool')
  t.equal(await udpAsk(third, port, 'five'), 'c:five', 'new sessions use the pool now named')
  const [status] = gw.status()
  t.equal(status?.total, 3, 'three sessions counted across the reloads')
  t.equal(status?.pool, 'other')
})
