/**
 * Fastify server options for TLS termination: HTTP/2 offered by ALPN, with
 * HTTP/1.1 for clients that don't speak it (one listener, one port).
 *
 * HTTP/2 lets one connection carry many requests at once; without a cap one
 * client could open thousands of streams and take every upstream slot. The
 * cap (`maxConcurrentStreams`, nginx's `http2_max_concurrent_streams` is 128)
 * is advertised in SETTINGS and enforced by the server: streams beyond it are
 * refused (RST_STREAM REFUSED_STREAM) before a request exists.
 */
import type { SecureServerOptions } from 'node:http2'
import { ConfigError } from '../../lib/validate.js'
import type { CertificatePair } from './certificates.js'

/** Oldest TLS version accepted from clients. */
export const DEFAULT_MIN_TLS_VERSION = 'TLSv1.2'
/** Concurrent streams one HTTP/2 client connection may have open (nginx's default). */
export const DEFAULT_H2_MAX_CONCURRENT_STREAMS = 128

export interface HttpsServerOptions {
  http2: true
  https: SecureServerOptions & { allowHTTP1: true }
}

export interface HttpsTuning {
  /** Concurrent streams per HTTP/2 connection; more are refused. Default 128. */
  maxConcurrentStreams?: number
}

/** Spread into `Fastify({...})`: `Fastify({ ...httpsServerOptions(pair), logger })`. */
export function httpsServerOptions (pair: CertificatePair, tuning: HttpsTuning = {}): HttpsServerOptions {
  const maxConcurrentStreams = tuning.maxConcurrentStreams ?? DEFAULT_H2_MAX_CONCURRENT_STREAMS
  if (!Number.isSafeInteger(maxConcurrentStreams) || maxConcurrentStreams < 1 || maxConcurrentStreams > 2 ** 31 - 1) {
    throw new ConfigError('maxConcurrentStreams', `must be an integer ≥ 1, got ${String(tuning.maxConcurrentStreams)}`)
  }
  return {
    http2: true,
    https: {
      allowHTTP1: true,
      cert: pair.cert,
      key: pair.key,
      minVersion: DEFAULT_MIN_TLS_VERSION,
      // Advertised in the server's first SETTINGS and enforced from then on, even
      // on a client that opens streams before acknowledging them.
      settings: { maxConcurrentStreams }
    }
  }
}
