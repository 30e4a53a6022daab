/**
 * The PROXY protocol parser (lib/proxy-protocol.ts) on good and bad input,
 * byte by byte as HAProxy's proxy-protocol.txt lays them out: v1 lines, v2
 * blocks with TLVs, and every way a header can be wrong or incomplete.
 */
import t, { type Test } from 'tap'
import { crc32c, parseProxyHeader, parseSslTlv, ProxyHeaderError, type ProxyHeader } from '../../lib/proxy-protocol.js'

const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]

/** A v2 header: signature, ver/cmd, fam, 16-bit length of `block`, block. */
function v2 (verCmd: number, fam: number, block: number[], length = block.length): Buffer {
  return Buffer.from([...SIG, verCmd, fam, length >> 8, length & 0xff, ...block])
}
const TCP4_BLOCK = [203, 0, 113, 7, 192, 168, 1, 10, 0xd4, 0x31, 0x01, 0xbb] // 203.0.113.7:54321 → 192.168.1.10:443

function complete (data: Buffer | string): ProxyHeader {
  const result = parseProxyHeader(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
  if (!result.complete) throw new Error('expected a complete header')
  return result.header
}
function incomplete (t: Test, data: Buffer | string, what: string): void {
  t.same(parseProxyHeader(typeof data === 'string' ? Buffer.from(data, 'latin1') : data), { complete: false }, what)
}
function rejects (t: Test, data: Buffer | string, pattern: RegExp, what: string): void {
  t.throws(() => parseProxyHeader(typeof data === 'string' ? Buffer.from(data, 'latin1') : data), { name: 'ProxyHeaderError', message: pattern }, what)
}

t.test('v1 TCP4 and TCP6 lines', async (t) => {
  const h4 = complete('PROXY TCP4 203.0.113.7 192.168.1.10 54321 443\r\nGET / HTTP/1.1\r\n')
  t.same(h4.source, { family: 'IPv4', address: '203.0.113.7', port: 54321 })
  t.same(h4.destination, { family: 'IPv4', address: '192.168.1.10', port: 443 })
  t.equal(h4.byteLength, 47, 'the line with its CRLF, not the request after it')
  t.equal(h4.version, 1)
  t.equal(h4.command, 'proxy')

  const h6 = complete('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 0 65535\r\n')
  t.same(h6.source, { family: 'IPv6', address: '2001:db8::1', port: 0 }, 'IPv6 as Node writes remoteAddress')
  t.same(h6.destination, { family: 'IPv6', address: '::1', port: 65535 })

  const longest = 'PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n'
  t.equal(longest.length, 104)
  t.equal(complete(longest).byteLength, 104, 'the longest TCP6 line')
})

t.test('v1 UNKNOWN: the real peer is used, the rest of the line ignored', async (t) => {
  const short = complete('PROXY UNKNOWN\r\n')
  t.equal(short.family, 'unspec')
  t.equal(short.source, undefined)
  t.equal(short.byteLength, 15)
  const worst = 'PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n'
  t.equal(worst.length, 107)
  t.equal(complete(worst).byteLength, 107, 'the 107-byte worst case is accepted')
})

t.test('v1 incomplete until the CRLF', async (t) => {
  incomplete(t, '', 'nothing yet')
  incomplete(t, 'PRO', 'part of the prefix')
  incomplete(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 54321 443', 'no CRLF yet')
  incomplete(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 54321 443\r', 'CR without its LF yet')
})

t.test('v1 rejected', async (t) => {
  rejects(t, 'GET / HTTP/1.1\r\n', /does not start/, 'an HTTP request at its first byte')
  rejects(t, 'G', /does not start/, 'one byte is enough to refuse')
  rejects(t, 'PROXX', /does not start with "PROXY "/, 'a wrong prefix before the line is complete')
  rejects(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 54321 443\n', /not printable/, 'LF alone ends no line')
  rejects(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 54321 443\rX', /CR not followed by LF/, 'CR alone ends no line')
  rejects(t, 'PROXY UNKNOWN ' + 'f'.repeat(92) + '\r\n', /no CRLF within 107/, 'a 108-byte line')
  rejects(t, 'PROXY TCP4 ' + '1'.repeat(200), /no CRLF within 107/, 'no CRLF in 107 bytes, before the peer stops')
  rejects(t, 'PROXY UDP4 203.0.113.7 192.168.1.10 54321 443\r\n', /TCP4, TCP6 or UNKNOWN/, 'unknown protocol')
  rejects(t, 'PROXY tcp4 203.0.113.7 192.168.1.10 54321 443\r\n', /TCP4, TCP6 or UNKNOWN/, 'lower-case protocol')
  rejects(t, 'PROXY  TCP4 203.0.113.7 192.168.1.10 54321 443\r\n', /TCP4, TCP6 or UNKNOWN/, 'two spaces')
  rejects(t, 'PROXY TCP4 203.0.113.7  192.168.1.10 54321 443\r\n', /single spaces/, 'two spaces between fields')
  rejects(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 54321\r\n', /single spaces/, 'a field missing')
  rejects(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 54321 443 \r\n', /single spaces/, 'a trailing space')
  rejects(t, 'PROXY TCP4 203.0.113.07 192.168.1.10 54321 443\r\n', /source address/, 'leading zero in an octet')
  rejects(t, 'PROXY TCP4 256.0.113.7 192.168.1.10 54321 443\r\n', /source address/, 'octet above 255')
  rejects(t, 'PROXY TCP4 203.0.113 192.168.1.10 54321 443\r\n', /source address/, 'three octets')
  rejects(t, 'PROXY TCP4 203.0.113.7 ::1 54321 443\r\n', /destination address/, 'IPv6 under TCP4')
  rejects(t, 'PROXY TCP6 203.0.113.7 ::1 54321 443\r\n', /source address/, 'IPv4 under TCP6')
  rejects(t, 'PROXY TCP6 2001:db8::1::2 ::1 54321 443\r\n', /source address/, 'two double colons')
  rejects(t, 'PROXY TCP6 2001:db8:0:0:0:0:0:0:1 ::1 54321 443\r\n', /source address/, 'more than 128 bits')
  rejects(t, 'PROXY TCP6 fe80::1%eth0 ::1 54321 443\r\n', /source address/, 'a zone index')
  rejects(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 054321 443\r\n', /source port/, 'leading zero in a port')
  rejects(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 54321 65536\r\n', /destination port/, 'port above 65535')
  rejects(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 -1 443\r\n', /source port/, 'negative port')
  rejects(t, 'PROXY TCP4 203.0.113.7 192.168.1.10 54321 443\x00\r\n', /not printable/, 'a NUL byte')
})

t.test('v2 PROXY over TCP4 and TCP6', async (t) => {
  const h4 = complete(Buffer.concat([v2(0x21, 0x11, TCP4_BLOCK), Buffer.from('GET /')]))
  t.same(h4.source, { family: 'IPv4', address: '203.0.113.7', port: 54321 })
  t.same(h4.destination, { family: 'IPv4', address: '192.168.1.10', port: 443 })
  t.equal(h4.byteLength, 28)
  t.equal(h4.transport, 'stream')
  t.same(h4.tlvs, [])

  const src6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]
  const dst6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]
  const h6 = complete(v2(0x21, 0x21, [...src6, ...dst6, 0x00, 0x50, 0x1f, 0x90]))
  t.same(h6.source, { family: 'IPv6', address: '2001:db8::1', port: 80 })
  t.same(h6.destination, { family: 'IPv6', address: '::ffff:127.0.0.1', port: 8080 })

  const udp = complete(v2(0x21, 0x12, TCP4_BLOCK))
  t.equal(udp.transport, 'dgram')

  const unixBlock = new Array<number>(216).fill(0)
  const path = Buffer.from('/run/client.sock')
  for (let i = 0; i < path.length; i++) unixBlock[i] = path[i] as number
  const hu = complete(v2(0x21, 0x31, unixBlock))
  t.same(hu.source, { family: 'unix', path: '/run/client.sock' })

  const unspec = complete(v2(0x21, 0x00, [1, 2, 3]))
  t.equal(unspec.family, 'unspec', 'PROXY + AF_UNSPEC: addresses ignored')
  t.equal(unspec.source, undefined)
  t.equal(unspec.byteLength, 19, 'its bytes still skipped')
})

t.test('v2 LOCAL: the block is skipped whatever it holds', async (t) => {
  const bare = complete(v2(0x20, 0x00, []))
  t.equal(bare.command, 'local')
  t.equal(bare.source, undefined)
  t.equal(bare.byteLength, 16)
  const withAddresses = complete(v2(0x20, 0x11, TCP4_BLOCK))
  t.equal(withAddresses.command, 'local')
  t.equal(withAddresses.source, undefined, 'addresses in a LOCAL header are not used')
  t.equal(withAddresses.byteLength, 28, 'but skipped')
  const shortBlock = complete(v2(0x20, 0x11, [1, 2]))
  t.equal(shortBlock.byteLength, 18, 'LOCAL need not carry a whole address block')
})

t.test('v2 TLVs parsed and length-checked', async (t) => {
  const alpn = [0x01, 0x00, 0x02, 0x68, 0x32] // "h2"
  const authority = [0x02, 0x00, 0x06, ...Buffer.from('a.test')]
  const noop = [0x04, 0x00, 0x00]
  const uniqueId = [0x05, 0x00, 0x80, ...new Array<number>(128).fill(7)]
  const sslSub = [0x21, 0x00, 0x07, ...Buffer.from('TLSv1.3')]
  const ssl = [0x20, 0x00, 5 + sslSub.length, 0x01, 0, 0, 0, 0, ...sslSub]
  const h = complete(v2(0x21, 0x11, [...TCP4_BLOCK, ...alpn, ...authority, ...noop, ...uniqueId, ...ssl]))
  t.same(h.tlvs.map((tlv) => tlv.type), [0x01, 0x02, 0x04, 0x05, 0x20])
  t.equal(h.tlvs[0]?.value.toString(), 'h2')
  t.equal(h.tlvs[1]?.value.toString(), 'a.test')
  t.equal(h.tlvs[2]?.value.length, 0)
  const sslInfo = parseSslTlv(h.tlvs[4]?.value as Buffer)
  t.equal(sslInfo.client, 1)
  t.equal(sslInfo.verify, 0)
  t.equal(sslInfo.subTlvs[0]?.value.toString(), 'TLSv1.3')

  rejects(t, v2(0x21, 0x11, [...TCP4_BLOCK, 0x02, 0x00]), /cut short/, 'a TLV header of 2 bytes')
  rejects(t, v2(0x21, 0x11, [...TCP4_BLOCK, 0x02, 0x00, 0x09, 0x61]), /runs past the header/, 'a TLV longer than the block')
  rejects(t, v2(0x21, 0x11, [...TCP4_BLOCK, 0x05, 0x00, 0x81, ...new Array<number>(129).fill(1)]), /UNIQUE_ID/, 'UNIQUE_ID over 128 bytes')
  rejects(t, v2(0x21, 0x11, [...TCP4_BLOCK, 0x20, 0x00, 0x04, 1, 0, 0, 0]), /SSL TLV is shorter/, 'SSL TLV without verify')
  rejects(t, v2(0x21, 0x11, [...TCP4_BLOCK, 0x20, 0x00, 0x08, 1, 0, 0, 0, 0, 0x21, 0x00, 0x05]), /SSL sub-TLV .* runs past/, 'SSL sub-TLV overrun')
  rejects(t, v2(0x21, 0x11, [...TCP4_BLOCK, 0x03, 0x00, 0x02, 0, 0]), /CRC32C TLV must be 4 bytes/, 'short CRC32C')
})

t.test('v2 CRC32C checked', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283, 'the RFC 3720 / 4960 check value')
  const header = v2(0x21, 0x11, [...TCP4_BLOCK, 0x03, 0x00, 0x04, 0, 0, 0, 0])
  header.writeUInt32BE(crc32c(header), header.length - 4)
  t.equal(complete(header).tlvs[0]?.type, 0x03, 'the right checksum passes')
  header[16] = 198 // change the source address after the checksum was taken
  rejects(t, header, /CRC32C checksum does not match/, 'a changed header fails')
})

t.test('v2 incomplete until the whole block is in', async (t) => {
  const whole = v2(0x21, 0x11, TCP4_BLOCK)
  for (const n of [1, 5, 12, 13, 14, 15, 16, 20, 27]) incomplete(t, whole.subarray(0, n), `${n} of 28 bytes`)
  t.equal(complete(whole).byteLength, 28)
})

t.test('v2 rejected', async (t) => {
  rejects(t, Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x01]), /signature/, 'signature wrong at its 5th byte')
  rejects(t, Buffer.from([...SIG.slice(0, 11), 0x0d]), /signature/, 'signature wrong at its last byte')
  rejects(t, Buffer.from('\r\nGET / HTTP/1.1'), /signature/, 'CRLF then HTTP')
  rejects(t, v2(0x11, 0x11, TCP4_BLOCK), /version must be 2/, 'version 1 in a binary header')
  rejects(t, v2(0x31, 0x11, TCP4_BLOCK), /version must be 2/, 'version 3')
  rejects(t, v2(0x22, 0x11, TCP4_BLOCK), /command must be LOCAL or PROXY/, 'command 2')
  rejects(t, v2(0x2f, 0x11, TCP4_BLOCK), /command/, 'command 15')
  rejects(t, v2(0x21, 0x41, TCP4_BLOCK), /family\/transport 0x41/, 'family 4')
  rejects(t, v2(0x21, 0x13, TCP4_BLOCK), /family\/transport 0x13/, 'transport 3')
  rejects(t, v2(0x21, 0x10, TCP4_BLOCK), /family\/transport 0x10/, 'INET with UNSPEC transport is not a listed byte')
  rejects(t, v2(0x21, 0x11, TCP4_BLOCK.slice(0, 11)), /shorter than the 12-byte address block/, 'TCP4 length 11')
  rejects(t, v2(0x21, 0x21, TCP4_BLOCK), /shorter than the 36-byte address block/, 'TCP6 with a TCP4 block')
  rejects(t, v2(0x21, 0x11, [], 4).subarray(0, 16), /shorter than the 12-byte/, 'a short length is refused before the block arrives')
  rejects(t, Buffer.from([...SIG, 0x12]), /version must be 2/, 'checked as soon as byte 13 arrives')
})

t.test('errors are ProxyHeaderError with a code', async (t) => {
  try {
    parseProxyHeader(Buffer.from('X'))
    t.fail('should throw')
  } catch (err) {
    t.ok(err instanceof ProxyHeaderError)
    t.equal((err as ProxyHeaderError).code, 'SWITCHYARD_PROXY_HEADER')
  }
})
