/**
 * Closing the app (what SIGTERM does): the TCP listener stops accepting at
 * once, open connections keep flowing until they end, and those still open
 * at the drain deadline are cut.
 */
import t from 'tap'
import Fastify from 'fastify'
import { connect } from 'node:net'
import { once } from 'node:events'
import { pools } from '../../plugins/pools/index.js'
import { l4 } from '../../plugins/l4/index.js'
import { startTcpBackend } from '../helpers/l4.js'

t.test('close waits for open connections, refuses new ones, cuts at the deadline', async (t) => {
  const backend = await startTcpBackend('echo')
  const app = Fastify()
  await app.register(pools, { pools: { p: { targets: [backend.url] } } })
  await app.register(l4, { tcp: [{ port: 0, pool: 'p' }], host: '127.0.0.1', drainTimeoutMs: 1500 })
  await app.ready()
  t.teardown(async () => { await backend.stop() })
  const port = Number(app.switchyard.l4?.()[0]?.address.split(':')[1])

  const finishing = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const lingering = connect({ port, host: '127.0.0.1' })
  lingering.on('error', () => {})
  for (const socket of [finishing, lingering]) {
    socket.write('x')
    await once(socket, 'data')
  }
  const started = Date.now()
  const closed = app.close()
  await new Promise((resolve) => setTimeout(resolve, 100))

  const refused = connect({ port, host: '127.0.0.1' })
  const [err] = await once(refused, 'error') as [NodeJS.ErrnoException]
  t.equal(err.code, 'ECONNREFUSED', 'no new connections while draining')

  let echoed = ''
  finishing.setEncoding('utf8')
  finishing.on('data', (chunk: string) => { echoed += chunk })
  finishing.end('still flowing')
  await once(finishing, 'close')
  t.equal(echoed, 'still flowing', 'an open connection kept working during the drain')

  await once(lingering, 'close')
  const elapsed = Date.now() - started
  t.ok(elapsed >= 1300 && elapsed < 6000, `the idle one was cut at the deadline (${elapsed} ms)`)
  await closed
  t.equal((app.switchyard.pools.get('p')?.targets[0])?.inFlight, 0)
})
