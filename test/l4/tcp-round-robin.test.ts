/**
 * TCP listener: 30 sequential connections over 3 targets, round robin → 10 each,
 * each connection served whole by one backend.
 */
import t from 'tap'
import { nameTcp, startL4Gateway, startTcpBackend, tcpExchange } from '../helpers/l4.js'

t.test('30 sequential connections over 3 targets round-robin: 10 each', async (t) => {
  const backends = await Promise.all(['a', 'b', 'c'].map(async (name) => await startTcpBackend(name, nameTcp)))
  const gw = await startL4Gateway({
    pools: { db: { targets: backends.map((b) => b.url), balancer: 'round-robin' } },
    tcp: [{ port: 0, pool: 'db' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const seen = new Map<string, number>()
  for (let i = 0; i < 30; i++) {
    const reply = (await tcpExchange(gw.tcpPort())).toString()
    seen.set(reply, (seen.get(reply) ?? 0) + 1)
  }
  t.same(Object.fromEntries(seen), { a: 10, b: 10, c: 10 }, 'what the clients received')
  t.same(backends.map((b) => b.connections), [10, 10, 10], 'what the backends accepted')
  const [listener] = gw.status()
  t.equal(listener?.total, 30)
  t.equal(listener?.active, 0, 'every connection closed')
})
