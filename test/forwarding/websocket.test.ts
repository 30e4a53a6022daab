/**
 * WebSocket upgrades are proxied to a target of the route's pool.
 */
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, WebSocket } from 'ws'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('echo over a proxied WebSocket, balanced over two backends', async (t) => {
  const servers = await Promise.all(['ws1', 'ws2'].map(async (name) => {
    const server = createServer((_req, res) => res.end(name))
    const wss = new WebSocketServer({ server })
    const seenHeaders: Array<Record<string, unknown>> = []
    wss.on('connection', (socket, req) => {
      seenHeaders.push(req.headers)
      socket.on('message', (data) => socket.send(`${name}:${data.toString()}:${req.url ?? ''}`))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { name, server, wss, seenHeaders, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
  }))
  const config = writeConfigFile({ pools: { ws: { targets: servers.map((s) => s.url) } }, routes: [{ path: '/ws', pool: 'ws', stripPrefix: true }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => {
    await gw.close()
    for (const s of servers) { for (const c of s.wss.clients) c.terminate(); s.wss.close(); s.server.close() }
  })

  const answers: string[] = []
  for (let i = 0; i < 2; i++) {
    const socket = new WebSocket(`${gw.url.replace('http', 'ws')}/ws/chat?room=${i}`)
    const answer = await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send(`hello-${i}`))
      socket.once('message', (data) => resolve(data.toString()))
      socket.once('error', reject)
    })
    answers.push(answer)
    socket.close()
  }
  t.match(answers[0], /^ws[12]:hello-0:\/chat\?room=0$/, 'echo from a backend, prefix stripped, query kept')
  t.match(answers[1], /^ws[12]:hello-1:\/chat\?room=1$/)
  t.not(answers[0]?.slice(0, 3), answers[1]?.slice(0, 3), 'the two connections went to different backends (round-robin)')
  const headers = servers.flatMap((s) => s.seenHeaders)
  t.equal(headers[0]?.['x-forwarded-for'], '127.0.0.1', 'X-Forwarded-For on the upgrade request')
})
