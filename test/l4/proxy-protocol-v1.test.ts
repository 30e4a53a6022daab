/**
 * `proxyProtocol: "v1"`: the backend sees the PROXY v1 line (HAProxy's
 * proxy-protocol.txt §2.1), byte for byte, then the client's bytes.
 */
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { startL4Gateway, startTcpBackend } from '../helpers/l4.js'

t.test('a v1 header with the client address, then the client bytes', async (t) => {
  const seen: Buffer[] = []
  const backend = await startTcpBackend('pp', (socket) => {
    socket.on('data', (chunk: Buffer) => seen.push(chunk))
    socket.on('end', () => { socket.end() })
  })
  const gw = await startL4Gateway({ pools: { p: { targets: [backend.url] } }, tcp: [{ port: 0, pool: 'p', proxyProtocol: 'v1' }] })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const client = connect({ port: gw.tcpPort(), host: '127.0.0.1', allowHalfOpen: true })
  await once(client, 'connect')
  const clientPort = client.localPort as number
  client.end('GET / HTTP/1.0\r\n\r\n')
  await once(client, 'close')
  const expected = `PROXY TCP4 127.0.0.1 127.0.0.1 ${clientPort} ${gw.tcpPort()}\r\nGET / HTTP/1.0\r\n\r\n`
  t.equal(Buffer.concat(seen).toString('latin1'), expected)
})
