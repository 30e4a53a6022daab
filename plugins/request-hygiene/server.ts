/**
 * Connection-level limits of the gateway's HTTP server: header size (431),
 * header and whole-request timeouts against slowloris clients (408, then the
 * connection is closed), keep-alive idle timeout. Node enforces all of them;
 * this module turns our settings into server options.
 */
import { clientErrorHandler } from './client-errors.js'

/** Node's default: 16 KiB for the request line and all headers together. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024
/** Time a client has to send the request line and all headers. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
/** Time a client has to send the whole request, body included (Node's default). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000
/** An idle keep-alive connection is closed after this (Fastify's default; above common L4 idle timeouts). */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 72_000

export interface ServerLimits {
  /** Largest request line + headers, in bytes; more → 431. */
  maxHeaderBytes: number
  /** Headers not complete after this → 408 and close. */
  headersTimeoutMs: number
  /** Request (with body) not complete after this → 408 and close. `0` = none. */
  requestTimeoutMs: number
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES,
  headersTimeoutMs: DEFAULT_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: DEFAULT_KEEPALIVE_TIMEOUT_MS
}

/**
 * How often Node looks for connections past their header/request timeout.
 * Its default (30 s) would let a slowloris client live far past a 10 s limit.
 */
export function connectionsCheckingIntervalMs (limits: ServerLimits): number {
  const shortest = limits.requestTimeoutMs > 0 ? Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) : limits.headersTimeoutMs
  return Math.max(100, Math.min(1000, Math.floor(shortest / 4)))
}

/** Options for `http.createServer` / `https.createServer` (also the HTTP/1.1 side of an HTTPS server). */
export function nodeServerOptions (limits: ServerLimits): { maxHeaderSize: number, headersTimeout: number, requestTimeout: number, keepAliveTimeout: number, connectionsCheckingInterval: number } {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(limits)
  }
}

/**
 * The part of Fastify's options that carries these limits (merge it into
 * `Fastify({...})`): Fastify sets `requestTimeout` and `keepAliveTimeout` on
 * the server itself, the rest goes to `http.createServer`; parser errors are
 * answered in the gateway's format.
 */
export function fastifyServerOptions (limits: ServerLimits): {
  http: ReturnType<typeof nodeServerOptions>
  requestTimeout: number
  keepAliveTimeout: number
  clientErrorHandler: typeof clientErrorHandler
} {
  return {
    http: nodeServerOptions(limits),
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    clientErrorHandler
  }
}

/**
 * Apply the limits to a server that exists already, whatever created it
 * (plain HTTP, HTTPS, or HTTP/2 with HTTP/1.1 fallback): Node reads these
 * properties per connection (`maxHeaderSize`, timeouts) or at `listen`
 * (`connectionsCheckingInterval`), so call this before listening.
 */
export function applyServerLimits (server: object, limits: ServerLimits): void {
  Object.assign(server, {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(limits)
  })
}
