/**
 * acceptProxyProtocol on a plain net.Server: what it tells about refusals
 * (the plugin logs `header` at warn, the others at debug): an untrusted peer,
 * a trusted peer that connects and closes without a byte (a TCP health
 * check), and a trusted peer with a bad header. Accepted connections are
 * re-emitted with the carried address; `stop` restores the server.
 */
import t from 'tap'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { acceptProxyProtocol, type RefusalKind } from '../../plugins/proxy-protocol/accept.js'
import { proxyV1, rawExchange } from '../helpers/proxy-protocol.js'

t.test('refusal kinds and accepted connections', async (t) => {
  const accepted: Array<{ address: string | undefined, firstBytes: string }> = []
  const server = createServer((socket: Socket) => {
    socket.once('data', (chunk: Buffer) => {
      accepted.push({ address: socket.remoteAddress, firstBytes: chunk.toString() })
      socket.end()
    })
  })
  const refusals: RefusalKind[] = []
  const acceptor = acceptProxyProtocol(server, {
    trust: (address) => address === '127.0.0.1',
    headerTimeoutMs: 2000,
    onRefused: (_peer, kind) => { refusals.push(kind) }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { acceptor.stop(); await new Promise((resolve) => server.close(resolve)) })
  const port = (server.address() as AddressInfo).port

  await rawExchange(port, [proxyV1('203.0.113.7')], { localAddress: '127.0.0.2' })
  await rawExchange(port, [], { end: true })
  await rawExchange(port, ['HELLO\r\n'])
  t.same(refusals, ['untrusted', 'empty', 'header'])

  await rawExchange(port, [proxyV1('203.0.113.7') + 'hello'])
  t.same(accepted, [{ address: '203.0.113.7', firstBytes: 'hello' }], 'the connection listener sees the client and only the bytes after the header')
  t.equal(acceptor.pending.size, 0)

  acceptor.stop()
  t.equal(Object.prototype.hasOwnProperty.call(server, 'emit'), false, 'stop restores the server\'s own emit')
})
