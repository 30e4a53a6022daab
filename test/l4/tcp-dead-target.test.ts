/**
 * TCP failover: with one of 3 targets dead (connection refused), 30 of 30
 * connections succeed — each failed connect is retried on another target
 * before any client byte is sent — and the failures reach passive health.
 */
import t from 'tap'
import { deadTcpPort, nameTcp, startL4Gateway, startTcpBackend, tcpExchange } from '../helpers/l4.js'

t.test('a dead target among 3: 30 of 30 connections succeed', async (t) => {
  const live = await Promise.all(['a', 'b'].map(async (name) => await startTcpBackend(name, nameTcp)))
  const dead = `tcp://127.0.0.1:${await deadTcpPort()}`
  const gw = await startL4Gateway({
    pools: { db: { targets: [live[0]?.url, dead, live[1]?.url], retries: 2, outlier: { consecutiveFailures: 3, ejectionMs: 60_000 } } },
    tcp: [{ port: 0, pool: 'db' }]
  })
  t.teardown(async () => { await gw.close(); for (const b of live) await b.stop() })
  let ok = 0
  for (let i = 0; i < 30; i++) {
    const reply = (await tcpExchange(gw.tcpPort(), 'x')).toString()
    if (reply === 'a' || reply === 'b') ok++
  }
  t.equal(ok, 30, '30 of 30 answered by a live backend')
  const deadTarget = gw.app.switchyard.pools.get('db')?.targets[1]
  t.equal(deadTarget?.condition, 'ejected', 'the dead target was ejected by passive health')
  t.equal(deadTarget?.failures, 3, 'after 3 failed connects it got no more tries')
  const [listener] = gw.status()
  t.equal(listener?.connectFailures, 3)
})
