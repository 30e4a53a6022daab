/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text and v2
 * binary) that a TCP listener with `proxyProtocol` sends to the target before
 * the client's first byte, so the target learns the client's address.
 * Built by `proxy-protocol-js`, whose v2 output was checked byte for byte
 * against the spec (test/l4/proxy-protocol-v2.test.ts holds the expected
 * bytes written from the spec). Framework-free.
 */
import { isIPv4, isIPv6 } from 'node:net'
import {
  Command, INETProtocol, IPv4Address, IPv4ProxyAddress, IPv6Address, IPv6ProxyAddress, Peer,
  TransportProtocol, V1ProxyProtocol, V2ProxyProtocol
} from 'proxy-protocol-js'
import type { ProxyProtocolVersion } from './options.js'

export interface ConnectionAddresses {
  sourceAddress: string
  sourcePort: number
  destinationAddress: string
  destinationPort: number
}

/** `::ffff:1.2.3.4` → `1.2.3.4`: a dual-stack listener's IPv4 clients stay IPv4. */
export function unmapIPv4 (address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
}

/**
 * The header for `version` (`v1` or `v2`) carrying `addresses`. When source
 * and destination are of different families (or unknown), v1 says
 * `PROXY UNKNOWN` and v2 sends the `LOCAL` command, as the spec asks.
 */
export function buildProxyHeader (version: Exclude<ProxyProtocolVersion, 'off'>, addresses: ConnectionAddresses): Buffer {
  const source = unmapIPv4(addresses.sourceAddress)
  const destination = unmapIPv4(addresses.destinationAddress)
  const family = isIPv4(source) && isIPv4(destination) ? 4 : isIPv6(source) && isIPv6(destination) ? 6 : 0
  if (version === 'v1') {
    if (family === 0) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1')
    const text = new V1ProxyProtocol(family === 4 ? INETProtocol.TCP4 : INETProtocol.TCP6,
      new Peer(source, addresses.sourcePort), new Peer(destination, addresses.destinationPort)).build()
    return Buffer.from(text, 'latin1')
  }
  if (family === 0) {
    // LOCAL with AF_UNSPEC: the target uses the connection's own addresses.
    return Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00])
  }
  const address = family === 4
    ? new IPv4ProxyAddress(IPv4Address.createFrom(ipv4Bytes(source)), addresses.sourcePort, IPv4Address.createFrom(ipv4Bytes(destination)), addresses.destinationPort)
    : new IPv6ProxyAddress(IPv6Address.createFrom(ipv6Bytes(source)), addresses.sourcePort, IPv6Address.createFrom(ipv6Bytes(destination)), addresses.destinationPort)
  return Buffer.from(new V2ProxyProtocol(Command.PROXY, TransportProtocol.STREAM, address).build())
}

function ipv4Bytes (address: string): number[] {
  return address.split('.').map(Number)
}

/** The 16 bytes of an IPv6 address (with `::` and an embedded IPv4 tail). */
export function ipv6Bytes (address: string): number[] {
  let text = address
  const zone = text.indexOf('%')
  if (zone !== -1) text = text.slice(0, zone)
  const groups: number[] = []
  const parse = (part: string): number[] => {
    if (part === '') return []
    const out: number[] = []
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = ipv4Bytes(piece) as [number, number, number, number]
        out.push((a << 8) | b, (c << 8) | d)
      } else {
        out.push(parseInt(piece, 16))
      }
    }
    return out
  }
  const gap = text.indexOf('::')
  if (gap === -1) {
    groups.push(...parse(text))
  } else {
    const head = parse(text.slice(0, gap))
    const tail = parse(text.slice(gap + 2))
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail)
  }
  const bytes: number[] = []
  for (const group of groups) bytes.push(group >> 8, group & 0xff)
  return bytes
}
