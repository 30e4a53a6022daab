/**
 * UDP listener: 10 client sockets × 10 datagrams over 2 targets. Every reply
 * comes back to the socket that sent the datagram, and each client stays on
 * one target for its session (one gateway socket per session).
 */
import t from 'tap'
import { createSocket, type Socket } from 'node:dgram'
import { startL4Gateway, startUdpBackend } from '../helpers/l4.js'

t.test('10 clients × 10 datagrams over 2 targets', async (t) => {
  const backends = await Promise.all(['u1', 'u2'].map(async (name) => await startUdpBackend(name)))
  const gw = await startL4Gateway({ pools: { dns: { targets: backends.map((b) => b.url) } }, udp: [{ port: 0, pool: 'dns' }] })
  const clients: Socket[] = []
  t.teardown(async () => {
    for (const c of clients) c.close()
    await gw.close()
    for (const b of backends) await b.stop()
  })
  const port = gw.udpPort()
  const replies = new Map<number, string[]>()
  for (let c = 0; c < 10; c++) {
    const socket = createSocket('udp4')
    clients.push(socket)
    replies.set(c, [])
    socket.on('message', (message) => { replies.get(c)?.push(message.toString()) })
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  }
  for (let i = 0; i < 10; i++) {
    clients.forEach((socket, c) => { socket.send(`c${c}-d${i}`, port, '127.0.0.1') })
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const deadline = Date.now() + 5000
  while ([...replies.values()].some((r) => r.length < 10) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  const perTarget = new Map<string, number>()
  for (const [c, got] of replies) {
    t.equal(got.length, 10, `client ${c} got 10 replies`)
    const targets = new Set(got.map((r) => r.split(':')[0]))
    t.equal(targets.size, 1, `client ${c} stayed on one target`)
    t.ok(got.every((r) => r.split(':')[1]?.startsWith(`c${c}-`)), `client ${c} got only its own replies`)
    const target = [...targets][0] as string
    perTarget.set(target, (perTarget.get(target) ?? 0) + 1)
  }
  t.same(Object.fromEntries(perTarget), { u1: 5, u2: 5 }, 'sessions spread round-robin')
  t.same(backends.map((b) => b.peers.size), [5, 5], 'one gateway socket per session')
  const [listener] = gw.status()
  t.equal(listener?.active, 10)
  t.equal(listener?.total, 10)
})
