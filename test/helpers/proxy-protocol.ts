/**
 * PROXY protocol clients for tests: headers written byte by byte from
 * HAProxy's proxy-protocol.txt (not by the code under test), a TCP
 * connection that sends one before anything else, and a raw exchange that
 * reports whether the gateway closed the connection and what it sent.
 */
import { connect, isIPv4, type Socket } from 'node:net'

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]

/** `PROXY TCP4|TCP6 src dst sport dport\r\n` */
export function proxyV1 (source: string, sourcePort = 40000, destination?: string, destinationPort = 8080): string {
  const v4 = isIPv4(source)
  return `PROXY ${v4 ? 'TCP4' : 'TCP6'} ${source} ${destination ?? (v4 ? '127.0.0.1' : '::1')} ${sourcePort} ${destinationPort}\r\n`
}

export interface ProxyV2Options {
  sourcePort?: number
  destination?: string
  destinationPort?: number
  /** 0x1 PROXY (default) or 0x0 LOCAL. */
  command?: number
  /** Raw TLV bytes appended after the addresses. */
  tlvs?: number[]
}

/** A v2 header for a TCP client at `source` (IPv4 or fully written IPv6 groups). */
export function proxyV2 (source: string, options: ProxyV2Options = {}): Buffer {
  const v4 = isIPv4(source)
  const destination = options.destination ?? (v4 ? '127.0.0.1' : '0:0:0:0:0:0:0:1')
  const addressBytes = (address: string): number[] => v4
    ? address.split('.').map(Number)
    : address.split(':').flatMap((group) => { const n = parseInt(group, 16); return [n >> 8, n & 0xff] })
  const port = (n: number): number[] => [n >> 8, n & 0xff]
  const block = [
    ...addressBytes(source), ...addressBytes(destination),
    ...port(options.sourcePort ?? 40000), ...port(options.destinationPort ?? 8080),
    ...(options.tlvs ?? [])
  ]
  return Buffer.from([...SIGNATURE, 0x20 | (options.command ?? 0x1), v4 ? 0x11 : 0x21, block.length >> 8, block.length & 0xff, ...block])
}

/** A v2 LOCAL header with no address (what HAProxy sends on its health checks). */
export function proxyV2Local (): Buffer {
  return Buffer.from([...SIGNATURE, 0x20, 0x00, 0x00, 0x00])
}

/** Connect to 127.0.0.1:port (from `localAddress`), write `header`, resolve once it is written. */
export async function connectWithHeader (port: number, header: Buffer | string, localAddress = '127.0.0.1'): Promise<Socket> {
  return await new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress })
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.write(header, () => { socket.off('error', reject); resolve(socket) })
    })
  })
}

export interface RawExchange {
  /** Everything the gateway sent. */
  received: string
  /** The gateway closed the connection (rather than our timeout ending it). */
  closedByPeer: boolean
  /** ms from connecting to the close. */
  elapsedMs: number
}

/**
 * Connect (from `localAddress`), send `chunks` (with `gapMs` between them),
 * then half-close when `end`, and wait up to `timeoutMs` for the gateway to close the connection.
 */
export async function rawExchange (port: number, chunks: Array<Buffer | string>, options: { localAddress?: string, gapMs?: number, timeoutMs?: number, end?: boolean } = {}): Promise<RawExchange> {
  const started = Date.now()
  return await new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress ?? '127.0.0.1' })
    const received: Buffer[] = []
    let finished = false
    const done = (closedByPeer: boolean): void => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      clearInterval(writer)
      socket.destroy()
      resolve({ received: Buffer.concat(received).toString('latin1'), closedByPeer, elapsedMs: Date.now() - started })
    }
    const timer = setTimeout(() => { done(false) }, options.timeoutMs ?? 3000)
    let next = 0
    const writeNext = (): void => {
      if (socket.destroyed) return
      if (next < chunks.length) socket.write(chunks[next++] as Buffer | string, () => {})
      else if (options.end === true && !socket.writableEnded) socket.end()
    }
    const writer = setInterval(writeNext, options.gapMs ?? 0)
    socket.on('connect', writeNext)
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.on('error', () => { done(true) })
    socket.on('close', () => { done(true) })
  })
}

export interface SimpleResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One HTTP/1.1 GET over an already open (header-sent) socket, plain or TLS. */
export async function getOver (socket: Socket, path: string, headers: Record<string, string> = {}, secure = false): Promise<SimpleResponse> {
  const { request } = secure ? await import('node:https') : await import('node:http')
  return await new Promise((resolve, reject) => {
    const req = request({ createConnection: () => socket, path, headers: { host: 'localhost', connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}
