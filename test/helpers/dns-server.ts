/**
 * A tiny authoritative DNS server for tests, on UDP 127.0.0.1 port 0: it
 * answers A and AAAA questions from a table the test changes at will, and
 * can be told to fail (SERVFAIL) to test lookups that go wrong. Enough of
 * RFC 1035 for c-ares (`dns.promises.Resolver`): one question, answers with
 * a compression pointer to it, an EDNS record in the query is ignored.
 */
import { createSocket } from 'node:dgram'
import { isIPv4 } from 'node:net'
import type { AddressInfo } from 'node:net'

const TYPE_A = 1
const TYPE_AAAA = 28
const RCODE_SERVFAIL = 2
const RCODE_NXDOMAIN = 3

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, for `Resolver.setServers` / the pools plugin's `dnsServers`. */
  address: string
  /** Name (lower case, no trailing dot) → its addresses (IPv4 and IPv6 mixed). Unknown names get NXDOMAIN. */
  records: Map<string, string[]>
  /** While true, every question gets SERVFAIL. */
  failing: boolean
  /** Questions received. */
  queries: number
  close: () => Promise<void>
}

export async function startDnsServer (records: Record<string, string[]> = {}): Promise<TestDnsServer> {
  const socket = createSocket('udp4')
  const server: TestDnsServer = {
    address: '',
    records: new Map(Object.entries(records)),
    failing: false,
    queries: 0,
    close: async () => { await new Promise<void>((resolve) => socket.close(() => resolve())) }
  }
  socket.on('message', (query, peer) => {
    server.queries++
    const answer = respond(query, server)
    if (answer !== undefined) socket.send(answer, peer.port, peer.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  server.address = `127.0.0.1:${(socket.address() as AddressInfo).port}`
  return server
}

function respond (query: Buffer, server: TestDnsServer): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined
  // The question: labels up to a zero byte, then type and class.
  const labels: string[] = []
  let offset = 12
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset] as number
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('latin1'))
    offset += 1 + length
  }
  const questionEnd = offset + 5
  if (questionEnd > query.length) return undefined
  const type = query.readUInt16BE(offset + 1)
  const name = labels.join('.').toLowerCase()
  const known = server.records.get(name)
  let rcode = 0
  let addresses: string[] = []
  if (server.failing) rcode = RCODE_SERVFAIL
  else if (known === undefined) rcode = RCODE_NXDOMAIN
  else addresses = known.filter((a) => type === TYPE_A ? isIPv4(a) : type === TYPE_AAAA ? !isIPv4(a) : false)

  const header = Buffer.alloc(12)
  header.writeUInt16BE(query.readUInt16BE(0), 0) // same id
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2) // QR, AA, RD copied, RA, rcode
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(addresses.length, 6)
  const answers = addresses.map((address) => {
    const data = type === TYPE_A ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address)
    const record = Buffer.alloc(12 + data.length)
    record.writeUInt16BE(0xc00c, 0) // pointer to the question's name
    record.writeUInt16BE(type, 2)
    record.writeUInt16BE(1, 4) // IN
    record.writeUInt32BE(1, 6) // TTL 1 s
    record.writeUInt16BE(data.length, 10)
    data.copy(record, 12)
    return record
  })
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers])
}

function ipv6Bytes (address: string): Buffer {
  const [head = '', tail] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  const bytes = Buffer.alloc(16)
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2))
  return bytes
}
