/**
 * `switchyard-proxy-protocol`: the main HTTP(S) listener requires a PROXY
 * protocol v1/v2 header (HAProxy's proxy-protocol.txt) from every peer, and
 * only peers that `trust` names may connect at all. The client address the
 * header carries becomes the socket's `remoteAddress`, so everything
 * downstream (request.ip, X-Forwarded-For, rate limits, allow/deny,
 * consistent-hash by ip, access logs) uses it without knowing about PROXY.
 *
 * Not a link of the request chain: it acts on connections before any HTTP
 * byte is parsed (for TLS, before the handshake). The logic is ./accept.ts.
 */
import type { Server } from 'node:net'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { ConfigError } from '../../lib/validate.js'
import { DEFAULT_PROXY_HEADER_TIMEOUT_MS } from '../../lib/proxy-protocol-socket.js'
import { acceptProxyProtocol, type PeerTrust } from './accept.js'

export interface ProxyProtocolOptions {
  /** Peers that may (and must) send a PROXY header: `(address, hop) => boolean`, hop 0 = the direct peer. */
  trust: PeerTrust
  /** Time a peer has to send its whole header; later → closed. Default 5000. */
  headerTimeoutMs?: number
}

const proxyProtocolPlugin: FastifyPluginAsync<ProxyProtocolOptions> = async (fastify, options) => {
  if (typeof options.trust !== 'function') throw new ConfigError('trust', 'must be a function (address, hop) => boolean')
  const headerTimeoutMs = options.headerTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS
  if (!Number.isInteger(headerTimeoutMs) || headerTimeoutMs < 1) {
    throw new ConfigError('headerTimeoutMs', `must be a positive integer (ms), got ${String(options.headerTimeoutMs)}`)
  }
  const acceptor = acceptProxyProtocol(fastify.server as unknown as Server, {
    trust: options.trust,
    headerTimeoutMs,
    // Untrusted peers and empty connects (health checks) at debug, so scanners and checks do not
    // flood the log; a trusted peer's bad header is a misconfigured tier.
    onRefused: (peer, kind, reason) => {
      if (kind !== 'header') fastify.log.debug({ peer }, `PROXY protocol: connection refused: ${reason}`)
      else fastify.log.warn({ peer }, `PROXY protocol: connection refused: ${reason}`)
    }
  })
  // Before the server closes: it would otherwise wait for connections still reading a header.
  fastify.addHook('preClose', (done) => { acceptor.stop(); done() })
  fastify.addHook('onClose', (_instance, done) => { acceptor.stop(); done() })
}

/** Register once on the app whose listener receives PROXY headers (an L4 tier, HAProxy, a cloud NLB). */
export const proxyProtocol = fp(proxyProtocolPlugin, {
  fastify: '5.x',
  name: 'switchyard-proxy-protocol'
})
export default proxyProtocol
export { acceptProxyProtocol, type ProxyProtocolAcceptOptions, type ProxyProtocolAcceptor, type PeerTrust, type RefusalKind } from './accept.js'
export { DEFAULT_PROXY_HEADER_TIMEOUT_MS } from '../../lib/proxy-protocol-socket.js'
