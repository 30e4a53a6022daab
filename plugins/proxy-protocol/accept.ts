/**
 * The listener side of PROXY protocol, framework-free: every connection the
 * server accepts must come from a trusted peer and start with a PROXY v1/v2
 * header; only then is it handed to the HTTP (or TLS, which then does its
 * handshake) machinery, with the header's client as its remote address.
 * A connection from an untrusted peer is destroyed at once; one whose header
 * is malformed, incomplete or late is destroyed without a byte reaching HTTP.
 *
 * How: the server's `emit` is wrapped on that instance, so `connection`
 * events (raw TCP sockets) are held back while the header is read, then
 * re-emitted; for TLS servers `secureConnection` gets the same address on the
 * TLSSocket (its `_parent` is the raw socket that carried the header).
 */
import type { Server, Socket } from 'node:net'
import { applyProxyClient, readProxyHeader } from '../../lib/proxy-protocol-socket.js'
import { ProxyHeaderError, type ProxyHeader } from '../../lib/proxy-protocol.js'

export type RefusalKind = 'untrusted' | 'empty' | 'header'

/** `(address, hop) => trusted`, as `GATEWAY_TRUST_PROXY` compiles (hop 0 = the direct peer). */
export type PeerTrust = (address: string, hop: number) => boolean

export interface ProxyProtocolAcceptOptions {
  /** Peers that may (and must) send a PROXY header. */
  trust: PeerTrust
  /** Time a peer has to send its whole header. */
  headerTimeoutMs: number
  /**
   * Told about each refused connection (for logs); never sees client data.
   * `untrusted`: the peer may not connect at all; `empty`: a trusted peer
   * closed without sending a byte (a TCP-connect health check); `header`: a
   * trusted peer sent a bad, incomplete or late header (a misconfigured tier).
   */
  onRefused?: (peerAddress: string | undefined, kind: RefusalKind, reason: string) => void
  /** Told about each accepted header. */
  onAccepted?: (peerAddress: string, header: ProxyHeader) => void
}

export interface ProxyProtocolAcceptor {
  /** Connections still reading their header. */
  readonly pending: ReadonlySet<Socket>
  /** Destroy pending connections and restore the server's own `emit`. */
  stop: () => void
}

type Emit = (event: string | symbol, ...args: unknown[]) => boolean

export function acceptProxyProtocol (server: Server, options: ProxyProtocolAcceptOptions): ProxyProtocolAcceptor {
  const pending = new Set<Socket>()
  const released = new WeakSet<Socket>()
  const ownEmit = Object.prototype.hasOwnProperty.call(server, 'emit')
  const originalEmit = server.emit as Emit

  const refuse = (socket: Socket, peer: string | undefined, kind: RefusalKind, reason: string): void => {
    pending.delete(socket)
    socket.destroy()
    options.onRefused?.(peer, kind, reason)
  }

  const hold = (socket: Socket): void => {
    const peer = socket.remoteAddress
    if (peer === undefined || !options.trust(peer, 0)) {
      refuse(socket, peer, 'untrusted', 'peer not trusted to send a PROXY header (GATEWAY_TRUST_PROXY)')
      return
    }
    pending.add(socket)
    readProxyHeader(socket, options.headerTimeoutMs).then((header) => {
      if (!pending.delete(socket) || socket.destroyed) return
      applyProxyClient(socket, header)
      options.onAccepted?.(peer, header)
      released.add(socket)
      originalEmit.call(server, 'connection', socket)
    }, (err: Error) => {
      if (pending.has(socket)) refuse(socket, peer, err instanceof ProxyHeaderError && err.empty ? 'empty' : 'header', err.message)
    })
  }

  const emit: Emit = function (this: Server, event, ...args) {
    if (event === 'connection') {
      const socket = args[0] as Socket
      if (!released.has(socket)) {
        hold(socket)
        return true
      }
    } else if (event === 'secureConnection') {
      const tlsSocket = args[0] as Socket & { _parent?: Socket | null }
      const raw = tlsSocket._parent
      if (raw !== undefined && raw !== null && released.has(raw) && raw.remoteAddress !== undefined) {
        Object.defineProperties(tlsSocket, {
          remoteAddress: { value: raw.remoteAddress, configurable: true, enumerable: true },
          remotePort: { value: raw.remotePort, configurable: true, enumerable: true },
          remoteFamily: { value: raw.remoteFamily, configurable: true, enumerable: true }
        })
      }
    }
    return originalEmit.call(this, event, ...args)
  }
  server.emit = emit as Server['emit']

  return {
    pending,
    stop: () => {
      for (const socket of pending) socket.destroy()
      pending.clear()
      if (ownEmit) server.emit = originalEmit as Server['emit']
      else delete (server as { emit?: unknown }).emit
    }
  }
}
