/**
 * Fastify server options for TLS termination: HTTP/2 offered by ALPN, with
 * HTTP/1.1 for clients that don't speak it (one listener, one port).
 */
import type { SecureServerOptions } from 'node:http2'
import type { CertificatePair } from './certificates.js'

/** Oldest TLS version accepted from clients. */
export const DEFAULT_MIN_TLS_VERSION = 'TLSv1.2'

export interface HttpsServerOptions {
  http2: true
  https: SecureServerOptions & { allowHTTP1: true }
}

/** Spread into `Fastify({...})`: `Fastify({ ...httpsServerOptions(pair), logger })`. */
export function httpsServerOptions (pair: CertificatePair): HttpsServerOptions {
  return {
    http2: true,
    https: { allowHTTP1: true, cert: pair.cert, key: pair.key, minVersion: DEFAULT_MIN_TLS_VERSION }
  }
}
