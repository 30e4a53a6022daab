/**
 * UDP sessions end after `sessionTimeoutMs` without traffic, and beyond
 * `maxSessions` the least recently active session is evicted.
 */
import t from 'tap'
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { startL4Gateway, startUdpBackend } from '../helpers/l4.js'

async function client (): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return socket
}

async function ask (socket: Socket, port: number, text: string): Promise<string> {
  socket.send(text, port, '127.0.0.1')
  const [message] = await once(socket, 'message') as [Buffer]
  return message.toString()
}

t.test('a session expires after sessionTimeoutMs of silence', async (t) => {
  const backend = await startUdpBackend('u')
  const gw = await startL4Gateway({ pools: { p: { targets: [backend.url] } }, udp: [{ port: 0, pool: 'p', sessionTimeoutMs: 300 }] })
  const socket = await client()
  t.teardown(async () => { socket.close(); await gw.close(); await backend.stop() })
  t.equal(await ask(socket, gw.udpPort(), 'one'), 'u:one')
  t.equal(await ask(socket, gw.udpPort(), 'two'), 'u:two')
  t.equal(gw.status()[0]?.active, 1)
  const deadline = Date.now() + 5000
  while (gw.status()[0]?.active !== 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(gw.status()[0]?.active, 0, 'the session ended')
  t.equal(await ask(socket, gw.udpPort(), 'three'), 'u:three', 'the next datagram opens a new session')
  t.equal(gw.status()[0]?.total, 2)
  t.equal(backend.peers.size, 2, 'through a new gateway socket')
})

t.test('maxSessions: the least recently active session is evicted', async (t) => {
  const backend = await startUdpBackend('u')
  const gw = await startL4Gateway({ pools: { p: { targets: [backend.url] } }, udp: [{ port: 0, pool: 'p', maxSessions: 2 }] })
  const [a, b, c] = [await client(), await client(), await client()] as [Socket, Socket, Socket]
  t.teardown(async () => { for (const s of [a, b, c]) s.close(); await gw.close(); await backend.stop() })
  const port = gw.udpPort()
  await ask(a, port, 'a1')
  await ask(b, port, 'b1')
  await ask(a, port, 'a2') // a is now more recent than b
  await ask(c, port, 'c1') // evicts b
  let status = gw.status()[0]
  t.equal(status?.active, 2)
  t.equal(status?.evicted, 1)
  t.equal(backend.peers.size, 3)
  t.equal(await ask(a, port, 'a3'), 'u:a3', 'a kept its session')
  t.equal(backend.peers.size, 3, 'a still used its own session socket')
  t.equal(await ask(b, port, 'b2'), 'u:b2', 'b is served again, on a new session')
  status = gw.status()[0]
  t.equal(status?.total, 4)
  t.equal(status?.evicted, 2, 'and that evicted c, the least recent')
})
