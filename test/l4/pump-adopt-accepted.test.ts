/**
 * Pump: the fallback way to read an accepted socket through `onread` when the
 * listening handle cannot be intercepted: `adoptAccepted` moves the socket's
 * handle to a new Socket (bytes then flow both ways, the old socket is
 * destroyed); a socket without a handle gives undefined. `interceptConnections`
 * on a server that does not listen says false.
 */
import t from 'tap'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { adoptAccepted, interceptConnections, Pump, createPumpBuffers } from '../../plugins/l4/pump.js'
import { until } from '../helpers/pump.js'

t.test('an accepted socket adopted onto an onread Socket carries bytes both ways', async (t) => {
  const adopted: Socket[] = []
  const accepted: Socket[] = []
  const peers: Array<string | undefined> = []
  const pumps: Pump[] = []
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    accepted.push(socket)
    const pump = new Pump(createPumpBuffers())
    const socketOnread = adoptAccepted(socket, pump.onread)
    if (socketOnread === undefined) return
    pump.attach(socketOnread)
    pumps.push(pump)
    adopted.push(socketOnread)
    peers.push(socketOnread.remoteAddress)
    pump.start(socketOnread) // an echo: what it reads, it writes back
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { for (const socket of adopted) socket.destroy(); await new Promise((resolve) => server.close(resolve)) })

  const client = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true })
  let echoed = ''
  let ended = false
  client.on('data', (chunk: Buffer) => { echoed += chunk.toString() })
  client.on('end', () => { ended = true })
  await new Promise((resolve) => client.once('connect', resolve))
  client.end('ping through the adopted handle')
  t.ok(await until(() => ended), 'the end came back (half-close passed on)')
  t.equal(echoed, 'ping through the adopted handle')
  t.equal(accepted[0]?.destroyed, true, 'the accepted socket was destroyed')
  t.same(peers, ['127.0.0.1'], 'the adopted socket knows its peer')
  client.destroy()
})

t.test('a socket without a handle cannot be adopted; a server not listening cannot be intercepted', async (t) => {
  const server = createServer()
  t.equal(interceptConnections(server, () => {}, () => {}), false)
  const socket = connect({ port: 1, host: '127.0.0.1' })
  socket.on('error', () => {})
  socket.destroy()
  t.equal(adoptAccepted(socket, new Pump(createPumpBuffers()).onread), undefined)
})
