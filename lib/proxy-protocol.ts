/**
 * PROXY protocol (HAProxy's proxy-protocol.txt) header parser, v1 text and v2
 * binary, strict: any byte that does not match the specification throws a
 * `ProxyHeaderError` (the caller closes the connection). Framework-free; fed
 * the bytes received so far, it says "need more" until the header is
 * complete, and rejects as early as the bytes allow (a `GET ` is refused at
 * its first byte). The socket side is `lib/proxy-protocol-socket.ts`.
 */
import { SocketAddress } from 'node:net'

/** The 12 bytes every v2 header starts with. */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
/** Signature + version/command + family/transport + length. */
export const PROXY_V2_FIXED_BYTES = 16
/** Longest v1 line the spec allows, CRLF included. */
export const PROXY_V1_MAX_BYTES = 107
/** Longest v2 header: the fixed part + a 16-bit length. */
export const PROXY_V2_MAX_BYTES = PROXY_V2_FIXED_BYTES + 0xffff

/** Registered v2 TLV types (section 2.2). */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30
} as const
/** Longest PP2_TYPE_UNIQUE_ID value. */
export const PP2_UNIQUE_ID_MAX_BYTES = 128

const V1_PREFIX = Buffer.from('PROXY ', 'latin1')
const SSL_FIXED_BYTES = 5 // client (1) + verify (4)

export type ProxyEndpoint =
  | { family: 'IPv4' | 'IPv6', address: string, port: number }
  | { family: 'unix', path: string }

export interface ProxyTlv {
  type: number
  value: Buffer
}

export interface ProxyHeader {
  version: 1 | 2
  /**
   * `proxy`: relayed on behalf of `source`. `local`: the proxy's own
   * connection (health checks): use the real peer, ignore any address.
   */
  command: 'proxy' | 'local'
  /** `unspec` for v1 UNKNOWN, v2 AF_UNSPEC and v2 LOCAL: use the real peer. */
  family: 'IPv4' | 'IPv6' | 'unix' | 'unspec'
  transport: 'stream' | 'dgram' | 'unspec'
  /** The original client; undefined when `family` is `unspec`. */
  source: ProxyEndpoint | undefined
  /** The address the client connected to; undefined when `family` is `unspec`. */
  destination: ProxyEndpoint | undefined
  /** v2 TLVs in order, each length-checked (PP2_TYPE_CRC32C also verified). */
  tlvs: ProxyTlv[]
  /** Bytes the header took on the wire; what follows is the client's data. */
  byteLength: number
}

export class ProxyHeaderError extends Error {
  readonly code = 'SWITCHYARD_PROXY_HEADER'
  /** The peer closed without sending a byte (a TCP-connect health check), not a bad header. */
  readonly empty: boolean
  constructor (message: string, empty = false) {
    super(`invalid PROXY protocol header: ${message}`)
    this.name = 'ProxyHeaderError'
    this.empty = empty
  }
}

export type ProxyParseResult = { complete: false } | { complete: true, header: ProxyHeader }

const INCOMPLETE: ProxyParseResult = { complete: false }

/**
 * Parse the header at the start of `data` (everything received so far).
 * Returns `{ complete: false }` when more bytes are needed and could still
 * make a valid header; throws ProxyHeaderError as soon as they cannot.
 */
export function parseProxyHeader (data: Buffer): ProxyParseResult {
  if (data.length === 0) return INCOMPLETE
  if (data[0] === PROXY_V2_SIGNATURE[0]) return parseV2(data)
  if (data[0] === V1_PREFIX[0]) return parseV1(data)
  throw new ProxyHeaderError('does not start with "PROXY " or the v2 signature')
}

/** The client address a header carries, or undefined when the real peer is to be used. */
export function clientEndpointOf (header: ProxyHeader): { family: 'IPv4' | 'IPv6', address: string, port: number } | undefined {
  if (header.command !== 'proxy' || header.source === undefined || header.source.family === 'unix') return undefined
  return header.source
}

// ---- v1 ------------------------------------------------------------------

const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`)
// Hex groups and colons; the dotted tail is what inet_ntop writes for v4-mapped addresses.
const IPV6_CHARS = /^[0-9A-Fa-f:.]{2,45}$/
const PORT = /^(?:0|[1-9][0-9]{0,4})$/

function parseV1 (data: Buffer): ProxyParseResult {
  const prefixLength = Math.min(data.length, V1_PREFIX.length)
  if (!data.subarray(0, prefixLength).equals(V1_PREFIX.subarray(0, prefixLength))) {
    throw new ProxyHeaderError('does not start with "PROXY "')
  }
  const scanned = Math.min(data.length, PROXY_V1_MAX_BYTES)
  let end = -1
  for (let i = 0; i < scanned; i++) {
    const byte = data[i] as number
    if (byte === 0x0d) {
      if (i + 1 >= scanned) break // the LF may still come
      if (data[i + 1] !== 0x0a) throw new ProxyHeaderError('v1 line has a CR not followed by LF')
      end = i
      break
    }
    if (byte < 0x20 || byte > 0x7e) throw new ProxyHeaderError('v1 line has a byte that is not printable US-ASCII')
  }
  if (end === -1) {
    if (data.length >= PROXY_V1_MAX_BYTES) throw new ProxyHeaderError(`v1 line has no CRLF within ${PROXY_V1_MAX_BYTES} bytes`)
    return INCOMPLETE
  }
  const line = data.toString('latin1', 0, end)
  const byteLength = end + 2
  const fields = line.split(' ')
  const protocol = fields[1]
  if (protocol === 'UNKNOWN') {
    // "the receiver must ignore anything presented before the CRLF"
    return { complete: true, header: { version: 1, command: 'proxy', family: 'unspec', transport: 'unspec', source: undefined, destination: undefined, tlvs: [], byteLength } }
  }
  if (protocol !== 'TCP4' && protocol !== 'TCP6') throw new ProxyHeaderError('v1 protocol must be TCP4, TCP6 or UNKNOWN')
  if (fields.length !== 6) throw new ProxyHeaderError('v1 line must be "PROXY TCP4|TCP6 SRC DST SRCPORT DSTPORT" with single spaces')
  const family = protocol === 'TCP4' ? 'IPv4' : 'IPv6'
  const [, , sourceText, destinationText, sourcePortText, destinationPortText] = fields as [string, string, string, string, string, string]
  return {
    complete: true,
    header: {
      version: 1,
      command: 'proxy',
      family,
      transport: 'stream',
      source: { family, address: v1Address(sourceText, family, 'source'), port: v1Port(sourcePortText, 'source') },
      destination: { family, address: v1Address(destinationText, family, 'destination'), port: v1Port(destinationPortText, 'destination') },
      tlvs: [],
      byteLength
    }
  }
}

function v1Address (text: string, family: 'IPv4' | 'IPv6', which: string): string {
  if (family === 'IPv4') {
    if (!IPV4.test(text)) throw new ProxyHeaderError(`v1 ${which} address is not a dotted IPv4 address without leading zeroes`)
    return text
  }
  const address = IPV6_CHARS.test(text) && text.includes(':') ? canonicalIpv6(text) : undefined
  if (address === undefined) throw new ProxyHeaderError(`v1 ${which} address is not an IPv6 address`)
  return address
}

function v1Port (text: string, which: string): number {
  const port = Number(text)
  if (!PORT.test(text) || port > 65535) throw new ProxyHeaderError(`v1 ${which} port is not a decimal from 0 to 65535 without leading zeroes`)
  return port
}

/** RFC 5952 form (as Node reports `remoteAddress`), or undefined when not an IPv6 address. */
function canonicalIpv6 (text: string): string | undefined {
  try {
    return new SocketAddress({ address: text, family: 'ipv6' }).address
  } catch {
    return undefined
  }
}

// ---- v2 ------------------------------------------------------------------

/** Family/transport bytes the spec lists (section 2.2), with their address block size. */
const V2_FAMILIES: ReadonlyMap<number, { family: ProxyHeader['family'], transport: ProxyHeader['transport'], addressBytes: number }> = new Map([
  [0x00, { family: 'unspec', transport: 'unspec', addressBytes: 0 }],
  [0x11, { family: 'IPv4', transport: 'stream', addressBytes: 12 }],
  [0x12, { family: 'IPv4', transport: 'dgram', addressBytes: 12 }],
  [0x21, { family: 'IPv6', transport: 'stream', addressBytes: 36 }],
  [0x22, { family: 'IPv6', transport: 'dgram', addressBytes: 36 }],
  [0x31, { family: 'unix', transport: 'stream', addressBytes: 216 }],
  [0x32, { family: 'unix', transport: 'dgram', addressBytes: 216 }]
])

function parseV2 (data: Buffer): ProxyParseResult {
  const signatureLength = Math.min(data.length, PROXY_V2_SIGNATURE.length)
  if (!data.subarray(0, signatureLength).equals(PROXY_V2_SIGNATURE.subarray(0, signatureLength))) {
    throw new ProxyHeaderError('v2 signature does not match')
  }
  if (data.length < 13) return INCOMPLETE
  const versionCommand = data[12] as number
  if (versionCommand >> 4 !== 0x2) throw new ProxyHeaderError('v2 version must be 2')
  const commandBits = versionCommand & 0x0f
  if (commandBits > 0x1) throw new ProxyHeaderError('v2 command must be LOCAL or PROXY')
  const command = commandBits === 0x0 ? 'local' : 'proxy'
  if (data.length < 14) return INCOMPLETE
  const familyByte = data[13] as number
  const family = V2_FAMILIES.get(familyByte)
  if (family === undefined) throw new ProxyHeaderError(`v2 family/transport 0x${familyByte.toString(16).padStart(2, '0')} is not one the spec defines`)
  if (data.length < PROXY_V2_FIXED_BYTES) return INCOMPLETE
  const blockLength = data.readUInt16BE(14)
  const byteLength = PROXY_V2_FIXED_BYTES + blockLength
  if (command === 'proxy' && blockLength < family.addressBytes) {
    throw new ProxyHeaderError(`v2 length ${blockLength} is shorter than the ${family.addressBytes}-byte address block`)
  }
  if (data.length < byteLength) return INCOMPLETE
  const header = data.subarray(0, byteLength)
  if (command === 'local' || family.family === 'unspec') {
    // LOCAL: "must use the real connection endpoints and discard the protocol block including the family";
    // AF_UNSPEC: "the receiver should ignore address information".
    return { complete: true, header: { version: 2, command, family: 'unspec', transport: 'unspec', source: undefined, destination: undefined, tlvs: [], byteLength } }
  }
  const block = header.subarray(PROXY_V2_FIXED_BYTES)
  const [source, destination] = v2Endpoints(block, family.family as 'IPv4' | 'IPv6' | 'unix')
  const tlvs = parseTlvs(block.subarray(family.addressBytes), 'TLV')
  checkTlvs(tlvs, header, PROXY_V2_FIXED_BYTES + family.addressBytes)
  return { complete: true, header: { version: 2, command, family: family.family, transport: family.transport, source, destination, tlvs, byteLength } }
}

function v2Endpoints (block: Buffer, family: 'IPv4' | 'IPv6' | 'unix'): [ProxyEndpoint, ProxyEndpoint] {
  if (family === 'IPv4') {
    return [
      { family, address: ipv4At(block, 0), port: block.readUInt16BE(8) },
      { family, address: ipv4At(block, 4), port: block.readUInt16BE(10) }
    ]
  }
  if (family === 'IPv6') {
    return [
      { family, address: ipv6At(block, 0), port: block.readUInt16BE(32) },
      { family, address: ipv6At(block, 16), port: block.readUInt16BE(34) }
    ]
  }
  return [{ family, path: unixPathAt(block, 0) }, { family, path: unixPathAt(block, 108) }]
}

function ipv4At (block: Buffer, offset: number): string {
  return `${block[offset] as number}.${block[offset + 1] as number}.${block[offset + 2] as number}.${block[offset + 3] as number}`
}

function ipv6At (block: Buffer, offset: number): string {
  const groups: string[] = []
  for (let i = 0; i < 8; i++) groups.push(block.readUInt16BE(offset + i * 2).toString(16))
  return canonicalIpv6(groups.join(':')) as string // eight hex groups are always valid
}

function unixPathAt (block: Buffer, offset: number): string {
  const field = block.subarray(offset, offset + 108)
  const nul = field.indexOf(0)
  return field.toString('utf8', 0, nul === -1 ? field.length : nul)
}

/** Split `bytes` into TLVs; every TLV must fit whole. */
function parseTlvs (bytes: Buffer, what: string): ProxyTlv[] {
  const tlvs: ProxyTlv[] = []
  let offset = 0
  while (offset < bytes.length) {
    if (bytes.length - offset < 3) throw new ProxyHeaderError(`v2 ${what} at byte ${offset} is cut short (${bytes.length - offset} of 3 header bytes)`)
    const type = bytes[offset] as number
    const length = bytes.readUInt16BE(offset + 1)
    const start = offset + 3
    if (start + length > bytes.length) throw new ProxyHeaderError(`v2 ${what} 0x${type.toString(16)} length ${length} runs past the header`)
    tlvs.push({ type, value: bytes.subarray(start, start + length) })
    offset = start + length
  }
  return tlvs
}

/** Per-type rules of the registered TLVs; `tlvStart` is where the TLVs begin in `header`. */
function checkTlvs (tlvs: ProxyTlv[], header: Buffer, tlvStart: number): void {
  let offset = tlvStart
  for (const tlv of tlvs) {
    if (tlv.type === PP2_TYPE.CRC32C) {
      if (tlv.value.length !== 4) throw new ProxyHeaderError('v2 CRC32C TLV must be 4 bytes')
      const zeroed = Buffer.from(header)
      zeroed.fill(0, offset + 3, offset + 7)
      if (crc32c(zeroed) !== tlv.value.readUInt32BE(0)) throw new ProxyHeaderError('v2 CRC32C checksum does not match')
    } else if (tlv.type === PP2_TYPE.UNIQUE_ID) {
      if (tlv.value.length > PP2_UNIQUE_ID_MAX_BYTES) throw new ProxyHeaderError(`v2 UNIQUE_ID TLV is longer than ${PP2_UNIQUE_ID_MAX_BYTES} bytes`)
    } else if (tlv.type === PP2_TYPE.SSL) {
      if (tlv.value.length < SSL_FIXED_BYTES) throw new ProxyHeaderError(`v2 SSL TLV is shorter than its ${SSL_FIXED_BYTES} fixed bytes`)
      parseTlvs(tlv.value.subarray(SSL_FIXED_BYTES), 'SSL sub-TLV')
    }
    offset += 3 + tlv.value.length
  }
}

/** The SSL TLV's fields and sub-TLVs (PP2_SUBTYPE_SSL_*), for callers that want them. */
export function parseSslTlv (value: Buffer): { client: number, verify: number, subTlvs: ProxyTlv[] } {
  if (value.length < SSL_FIXED_BYTES) throw new ProxyHeaderError(`v2 SSL TLV is shorter than its ${SSL_FIXED_BYTES} fixed bytes`)
  return { client: value[0] as number, verify: value.readUInt32BE(1), subTlvs: parseTlvs(value.subarray(SSL_FIXED_BYTES), 'SSL sub-TLV') }
}

// ---- CRC32c (Castagnoli, RFC 4960 appendix B) -----------------------------

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export function crc32c (bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
