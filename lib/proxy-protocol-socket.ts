/**
 * PROXY protocol on a live socket: read the header off a fresh connection
 * (bounded in time and bytes, never consuming a byte past the header), then
 * make the socket report the client the header carries. Framework-free; the
 * HTTP listener uses it in plugins/proxy-protocol, a TCP listener may too.
 */
import type { Socket } from 'node:net'
import { clientEndpointOf, parseProxyHeader, ProxyHeaderError, type ProxyHeader } from './proxy-protocol.js'

/** How long a peer has to send its whole header. */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5000

/**
 * Read one PROXY header from `socket`. Resolves once it is complete, with any
 * bytes read past it pushed back (`unshift`) for the next reader; rejects
 * (ProxyHeaderError) when it is malformed, cut short by the peer, or not
 * complete within `timeoutMs`. The caller destroys the socket on rejection.
 */
export async function readProxyHeader (socket: Socket, timeoutMs = DEFAULT_PROXY_HEADER_TIMEOUT_MS): Promise<ProxyHeader> {
  return await new Promise<ProxyHeader>((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0)
    const finish = (error: Error | undefined, header?: ProxyHeader): void => {
      clearTimeout(timer)
      socket.off('readable', onReadable)
      socket.off('end', onEnd)
      socket.off('close', onEnd)
      socket.off('error', onError)
      if (error !== undefined) reject(error)
      else resolve(header as ProxyHeader)
    }
    const onReadable = (): void => {
      let chunk: Buffer | null
      while ((chunk = socket.read() as Buffer | null) !== null) {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
        let result
        try {
          result = parseProxyHeader(received)
        } catch (err) {
          finish(err as Error)
          return
        }
        if (result.complete) {
          const rest = received.subarray(result.header.byteLength)
          if (rest.length > 0) socket.unshift(rest)
          finish(undefined, result.header)
          return
        }
      }
    }
    const onEnd = (): void => {
      finish(received.length === 0
        ? new ProxyHeaderError('connection closed before any byte', true)
        : new ProxyHeaderError('connection ended before the header was complete'))
    }
    const onError = (err: Error): void => { finish(err) }
    const timer = setTimeout(() => {
      finish(new ProxyHeaderError(`header not complete within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('readable', onReadable)
    socket.on('end', onEnd)
    socket.on('close', onEnd)
    socket.on('error', onError)
  })
}

/**
 * Make `socket` report the header's client as `remoteAddress`, `remotePort`
 * and `remoteFamily` (own properties shadowing the getters). LOCAL, UNKNOWN
 * and AF_UNSPEC/AF_UNIX headers leave the real peer in place.
 * Returns whether the address was replaced.
 */
export function applyProxyClient (socket: Socket, header: ProxyHeader): boolean {
  const client = clientEndpointOf(header)
  if (client === undefined) return false
  Object.defineProperties(socket, {
    remoteAddress: { value: client.address, configurable: true, enumerable: true },
    remotePort: { value: client.port, configurable: true, enumerable: true },
    remoteFamily: { value: client.family, configurable: true, enumerable: true }
  })
  return true
}
