/**
 * TLS passthrough by SNI: a connection whose first bytes are not a TLS
 * ClientHello is closed, and so is one whose ClientHello does not arrive
 * within `clientHelloTimeoutMs`; neither reaches a backend.
 */
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { startL4Gateway, startTcpBackend } from '../helpers/l4.js'

t.test('malformed and slow ClientHellos are closed without reaching a backend', async (t) => {
  const backend = await startTcpBackend('tls')
  const gw = await startL4Gateway({
    pools: { d: { targets: [backend.url] } },
    tcp: [{ port: 0, pool: 'd', sni: { 'a.test': 'd' }, clientHelloTimeoutMs: 400 }]
  })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const plain = connect({ port: gw.tcpPort(), host: '127.0.0.1' })
  plain.on('error', () => {})
  let plainGot = 0
  plain.on('data', (chunk: Buffer) => { plainGot += chunk.length })
  plain.write('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n')
  await once(plain, 'close')
  t.equal(plainGot, 0, 'plain HTTP instead of TLS: closed, nothing sent back')

  // A handshake record header announcing 512 bytes, then 10 bytes of a ClientHello, then silence.
  const started = Date.now()
  const slow = connect({ port: gw.tcpPort(), host: '127.0.0.1' })
  slow.on('error', () => {})
  slow.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0, 0, 0, 0]))
  await once(slow, 'close')
  const elapsed = Date.now() - started
  t.ok(elapsed >= 350 && elapsed < 5000, `slow ClientHello closed after the bound (${elapsed} ms)`)

  // A complete record whose handshake is not a ClientHello (type 2 = ServerHello).
  const wrong = connect({ port: gw.tcpPort(), host: '127.0.0.1' })
  wrong.on('error', () => {})
  wrong.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00]))
  await once(wrong, 'close')
  t.pass('a record that is not a ClientHello: closed')

  t.equal(backend.connections, 0, 'no backend saw any of them')
  t.equal(gw.status()[0]?.dropped, 3)
})
