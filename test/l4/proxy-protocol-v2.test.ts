/**
 * `proxyProtocol: "v2"`: the backend sees the binary v2 header, byte for
 * byte as HAProxy's proxy-protocol.txt §2.2 lays it out (the bytes below are
 * written from the spec, not from the code), then the client's bytes.
 */
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { startL4Gateway, startTcpBackend } from '../helpers/l4.js'
import { buildProxyHeader } from '../../plugins/l4/proxy-header.js'

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]

function port16 (port: number): number[] {
  return [port >> 8, port & 0xff]
}

t.test('a v2 header (PROXY, TCP over IPv4) with the client address, then the client bytes', async (t) => {
  const seen: Buffer[] = []
  const backend = await startTcpBackend('pp', (socket) => {
    socket.on('data', (chunk: Buffer) => seen.push(chunk))
    socket.on('end', () => { socket.end() })
  })
  const gw = await startL4Gateway({ pools: { p: { targets: [backend.url] } }, tcp: [{ port: 0, pool: 'p', proxyProtocol: 'v2' }] })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const client = connect({ port: gw.tcpPort(), host: '127.0.0.1', allowHalfOpen: true })
  await once(client, 'connect')
  const clientPort = client.localPort as number
  client.end('hello')
  await once(client, 'close')
  const expected = Buffer.from([
    ...SIGNATURE,
    0x21, // version 2, command PROXY
    0x11, // AF_INET, STREAM
    0x00, 0x0c, // 12 address bytes follow
    127, 0, 0, 1, // source address
    127, 0, 0, 1, // destination address
    ...port16(clientPort),
    ...port16(gw.tcpPort()),
    ...Buffer.from('hello')
  ])
  t.same(Buffer.concat(seen).toString('hex'), expected.toString('hex'))
})

t.test('v2 over IPv6, and LOCAL when the families differ', async (t) => {
  const v6 = buildProxyHeader('v2', { sourceAddress: '2001:db8::1', sourcePort: 0x1234, destinationAddress: '::1', destinationPort: 443 })
  t.equal(v6.toString('hex'), Buffer.from([
    ...SIGNATURE, 0x21, 0x21, 0x00, 0x24,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    0x12, 0x34, 0x01, 0xbb
  ]).toString('hex'))
  const mapped = buildProxyHeader('v2', { sourceAddress: '::ffff:10.1.2.3', sourcePort: 1, destinationAddress: '10.0.0.1', destinationPort: 2 })
  t.equal(mapped.subarray(12, 16).toString('hex'), '2111000c', 'an IPv4-mapped client is sent as IPv4')
  t.equal(mapped.subarray(16, 20).toString('hex'), '0a010203')
  const mixed = buildProxyHeader('v2', { sourceAddress: '2001:db8::1', sourcePort: 1, destinationAddress: '10.0.0.1', destinationPort: 2 })
  t.equal(mixed.toString('hex'), Buffer.from([...SIGNATURE, 0x20, 0x00, 0x00, 0x00]).toString('hex'), 'LOCAL, AF_UNSPEC, no address')
  t.equal(buildProxyHeader('v1', { sourceAddress: '2001:db8::1', sourcePort: 1, destinationAddress: '10.0.0.1', destinationPort: 2 }).toString(), 'PROXY UNKNOWN\r\n')
})
