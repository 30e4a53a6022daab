/**
 * The bundled app's environment variables (SPEC.md), parsed and checked.
 * Each bad value throws a ConfigError naming the variable and what was expected.
 */
import { availableParallelism } from 'node:os'
import { ConfigError, isIpRange, parseBoolean } from '../lib/validate.js'
import { isLoopbackHost } from '../lib/loopback.js'
import { closestName } from '../lib/edit-distance.js'
import { BALANCER_NAMES, type BalancerName } from '../plugins/pools/balancers/balancer.js'
import {
  DEFAULT_BODY_LIMIT_BYTES, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS, DEFAULT_MAX_HEADER_BYTES, DEFAULT_REQUEST_TIMEOUT_MS
} from '../plugins/request-hygiene/index.js'
import { MIN_STICKY_SECRET_BYTES } from '../plugins/sticky/codec.js'
import { DEFAULT_H2_MAX_CONCURRENT_STREAMS } from '../plugins/tls/server-options.js'

export type Env = Record<string, string | undefined>

export interface GatewayEnv {
  host: string
  port: number
  upstreams: string[] | undefined
  /** `GATEWAY_TCP_PORT`: a TCP listener over `GATEWAY_TCP_UPSTREAMS` (no config file). */
  tcpPort: number | undefined
  tcpUpstreams: string[] | undefined
  configPath: string | undefined
  defaultBalancer: BalancerName
  stickyCookie: string | undefined
  stickySecret: string | undefined
  healthPath: string | undefined
  healthIntervalMs: number
  /** A path the gateway answers itself on the main listener (200, 503 while draining). */
  healthRoute: string | undefined
  cache: 'off' | 'memory' | 'redis'
  cacheMaxBytes: number
  redisUrl: string | undefined
  rateLimitMax: number | undefined
  rateLimitWindowMs: number
  /** Request line + headers size limit (431 above). */
  maxHeaderBytes: number
  /** Default per-route request body limit (413 above). */
  bodyLimitBytes: number
  /** Time to receive the headers (408 and close after). */
  headersTimeoutMs: number
  /** Time to receive the whole request; 0 = none. */
  requestTimeoutMs: number
  /** Idle keep-alive connections closed after this. */
  keepAliveTimeoutMs: number
  tlsCert: string | undefined
  tlsKey: string | undefined
  /** Plain-HTTP port that redirects to HTTPS (TLS only). */
  httpRedirectPort: number | undefined
  /** Concurrent streams per HTTP/2 client connection (TLS only). */
  h2MaxStreams: number
  compression: boolean
  compressionThreshold: number
  securityHeaders: boolean
  /** Content-Security-Policy sent on every response; off when unset. */
  csp: string | undefined
  /** Security headers where a backend's own value wins over the gateway's. */
  securityHeadersBackendWins: string[]
  /** HSTS max-age over TLS; 0 = no HSTS. */
  hstsMaxAge: number
  trustProxy: boolean | number | string[]
  /** The main listener requires a PROXY protocol v1/v2 header from `trustProxy` peers. */
  proxyProtocol: boolean
  adminPort: number
  adminHost: string
  adminToken: string | undefined
  logLevel: string
  /** Worker processes sharing the listeners (`GATEWAY_WORKERS`; `auto` = one per core); 1 = no cluster. */
  workers: number
}

/** Most worker processes `GATEWAY_WORKERS` accepts. */
export const MAX_WORKERS = 256

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Every `GATEWAY_*` variable the app reads (also in `.env.example` and README's table). */
export const KNOWN_VARIABLES = [
  'GATEWAY_UPSTREAMS', 'GATEWAY_CONFIG', 'GATEWAY_BALANCER',
  'GATEWAY_STICKY_COOKIE', 'GATEWAY_STICKY_SECRET',
  'GATEWAY_HEALTH_PATH', 'GATEWAY_HEALTH_INTERVAL_MS', 'GATEWAY_HEALTH_ROUTE',
  'GATEWAY_CACHE', 'GATEWAY_CACHE_MAX_BYTES', 'GATEWAY_REDIS_URL',
  'GATEWAY_RATE_LIMIT_MAX', 'GATEWAY_RATE_LIMIT_WINDOW_MS',
  'GATEWAY_MAX_HEADER_BYTES', 'GATEWAY_BODY_LIMIT_BYTES', 'GATEWAY_HEADERS_TIMEOUT_MS',
  'GATEWAY_REQUEST_TIMEOUT_MS', 'GATEWAY_KEEPALIVE_TIMEOUT_MS',
  'GATEWAY_TLS_CERT', 'GATEWAY_TLS_KEY', 'GATEWAY_HTTP_REDIRECT_PORT', 'GATEWAY_H2_MAX_STREAMS', 'GATEWAY_HSTS_MAX_AGE',
  'GATEWAY_COMPRESSION', 'GATEWAY_COMPRESSION_THRESHOLD',
  'GATEWAY_SECURITY_HEADERS', 'GATEWAY_CSP', 'GATEWAY_SECURITY_HEADERS_BACKEND_WINS',
  'GATEWAY_TRUST_PROXY', 'GATEWAY_PROXY_PROTOCOL', 'GATEWAY_WORKERS', 'GATEWAY_TCP_PORT', 'GATEWAY_TCP_UPSTREAMS',
  'GATEWAY_ADMIN_PORT', 'GATEWAY_ADMIN_HOST', 'GATEWAY_ADMIN_TOKEN'
] as const

/** A mistyped variable would be silently ignored: refuse any `GATEWAY_*` name we don't read. */
export function checkVariableNames (env: Env): void {
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('GATEWAY_') || (KNOWN_VARIABLES as readonly string[]).includes(name)) continue
    throw new ConfigError(name, `is not a known variable: did you mean ${closestName(name, KNOWN_VARIABLES) as string}? (.env.example lists them all)`)
  }
}
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/

export function readEnv (env: Env): GatewayEnv {
  checkVariableNames(env)
  const cache = oneOf(env, 'GATEWAY_CACHE', ['off', 'memory', 'redis'], 'off') as GatewayEnv['cache']
  const redisUrl = optional(env, 'GATEWAY_REDIS_URL')
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('GATEWAY_REDIS_URL', `must be a redis:// or rediss:// URL, got "${redisUrl}"`)
  }
  if (cache === 'redis' && redisUrl === undefined) {
    throw new ConfigError('GATEWAY_REDIS_URL', 'is required when GATEWAY_CACHE=redis')
  }
  const tlsCert = optional(env, 'GATEWAY_TLS_CERT')
  const tlsKey = optional(env, 'GATEWAY_TLS_KEY')
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError(tlsCert === undefined ? 'GATEWAY_TLS_CERT' : 'GATEWAY_TLS_KEY', 'must be set together with ' + (tlsCert === undefined ? 'GATEWAY_TLS_KEY' : 'GATEWAY_TLS_CERT'))
  }
  const httpRedirectPort = optionalInteger(env, 'GATEWAY_HTTP_REDIRECT_PORT', 0, 65535)
  if (httpRedirectPort !== undefined && tlsCert === undefined) {
    throw new ConfigError('GATEWAY_HTTP_REDIRECT_PORT', 'needs GATEWAY_TLS_CERT and GATEWAY_TLS_KEY (it redirects to HTTPS)')
  }
  const stickyCookie = optional(env, 'GATEWAY_STICKY_COOKIE')
  if (stickyCookie !== undefined && !TOKEN.test(stickyCookie)) {
    throw new ConfigError('GATEWAY_STICKY_COOKIE', `must be a cookie name (letters, digits, -_.), got "${stickyCookie}"`)
  }
  const stickySecret = optional(env, 'GATEWAY_STICKY_SECRET')
  if (stickySecret !== undefined && Buffer.byteLength(stickySecret, 'utf8') < MIN_STICKY_SECRET_BYTES) {
    throw new ConfigError('GATEWAY_STICKY_SECRET', `must be at least ${MIN_STICKY_SECRET_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`)
  }
  const healthPath = optional(env, 'GATEWAY_HEALTH_PATH')
  if (healthPath !== undefined && !healthPath.startsWith('/')) {
    throw new ConfigError('GATEWAY_HEALTH_PATH', `must be a path starting with "/", got "${healthPath}"`)
  }
  const healthRoute = optional(env, 'GATEWAY_HEALTH_ROUTE')
  if (healthRoute !== undefined && !/^\/[A-Za-z0-9._~!$&'()+,;=@%/-]*$/.test(healthRoute)) {
    throw new ConfigError('GATEWAY_HEALTH_ROUTE', `must be a literal path starting with "/" (no ":" or "*"), got "${healthRoute}"`)
  }
  const upstreams = optional(env, 'GATEWAY_UPSTREAMS')
  const tcpPort = optionalInteger(env, 'GATEWAY_TCP_PORT', 0, 65535)
  const tcpUpstreams = optional(env, 'GATEWAY_TCP_UPSTREAMS')
  if ((tcpPort === undefined) !== (tcpUpstreams === undefined)) {
    throw new ConfigError(tcpPort === undefined ? 'GATEWAY_TCP_PORT' : 'GATEWAY_TCP_UPSTREAMS', 'must be set together with ' + (tcpPort === undefined ? 'GATEWAY_TCP_UPSTREAMS' : 'GATEWAY_TCP_PORT'))
  }
  const trustProxy = parseTrustProxy(optional(env, 'GATEWAY_TRUST_PROXY'))
  const proxyProtocol = boolean(env, 'GATEWAY_PROXY_PROTOCOL', false)
  if (proxyProtocol && trustProxy === false) {
    throw new ConfigError('GATEWAY_PROXY_PROTOCOL', 'is on but GATEWAY_TRUST_PROXY is not set: name the peers (e.g. the L4 balancer\'s address) allowed to send PROXY headers')
  }
  const adminHost = optional(env, 'GATEWAY_ADMIN_HOST') ?? '127.0.0.1'
  const adminToken = optional(env, 'GATEWAY_ADMIN_TOKEN')
  if (adminToken === undefined && !isLoopbackHost(adminHost)) {
    throw new ConfigError('GATEWAY_ADMIN_HOST', `is "${adminHost}", beyond loopback, and GATEWAY_ADMIN_TOKEN is not set: set GATEWAY_ADMIN_TOKEN (the admin listener shows backend addresses and can drain targets) or bind 127.0.0.1`)
  }
  return {
    host: optional(env, 'HOST') ?? '0.0.0.0',
    port: integer(env, 'PORT', 8080, 0, 65535),
    upstreams: upstreams === undefined ? undefined : parseUpstreams(upstreams),
    tcpPort,
    tcpUpstreams: tcpUpstreams === undefined ? undefined : parseTcpUpstreams(tcpUpstreams),
    configPath: optional(env, 'GATEWAY_CONFIG'),
    defaultBalancer: oneOf(env, 'GATEWAY_BALANCER', BALANCER_NAMES, 'round-robin') as BalancerName,
    stickyCookie,
    stickySecret,
    healthPath,
    healthIntervalMs: integer(env, 'GATEWAY_HEALTH_INTERVAL_MS', 5000, 10, 3_600_000),
    healthRoute,
    cache,
    cacheMaxBytes: integer(env, 'GATEWAY_CACHE_MAX_BYTES', 64 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
    redisUrl,
    rateLimitMax: optionalInteger(env, 'GATEWAY_RATE_LIMIT_MAX', 1, Number.MAX_SAFE_INTEGER),
    rateLimitWindowMs: integer(env, 'GATEWAY_RATE_LIMIT_WINDOW_MS', 60_000, 1, 86_400_000),
    ...readHygiene(env),
    tlsCert,
    tlsKey,
    httpRedirectPort,
    h2MaxStreams: integer(env, 'GATEWAY_H2_MAX_STREAMS', DEFAULT_H2_MAX_CONCURRENT_STREAMS, 1, 1_000_000),
    compression: boolean(env, 'GATEWAY_COMPRESSION', true),
    compressionThreshold: integer(env, 'GATEWAY_COMPRESSION_THRESHOLD', 1024, 0, Number.MAX_SAFE_INTEGER),
    securityHeaders: boolean(env, 'GATEWAY_SECURITY_HEADERS', true),
    csp: optional(env, 'GATEWAY_CSP'),
    securityHeadersBackendWins: headerList(env, 'GATEWAY_SECURITY_HEADERS_BACKEND_WINS'),
    hstsMaxAge: integer(env, 'GATEWAY_HSTS_MAX_AGE', 31_536_000, 0, 1_000_000_000),
    trustProxy,
    proxyProtocol,
    adminPort: integer(env, 'GATEWAY_ADMIN_PORT', 9901, 0, 65535),
    adminHost,
    adminToken,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    workers: readWorkers(env)
  }
}

/** Request hygiene limits (plugins/request-hygiene). */
function readHygiene (env: Env): Pick<GatewayEnv, 'maxHeaderBytes' | 'bodyLimitBytes' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs'> {
  const headersTimeoutMs = integer(env, 'GATEWAY_HEADERS_TIMEOUT_MS', DEFAULT_HEADERS_TIMEOUT_MS, 100, 3_600_000)
  const requestTimeoutMs = integer(env, 'GATEWAY_REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 0, 86_400_000)
  if (requestTimeoutMs > 0 && requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError('GATEWAY_REQUEST_TIMEOUT_MS', `must be 0 or at least GATEWAY_HEADERS_TIMEOUT_MS (${headersTimeoutMs}), got "${requestTimeoutMs}"`)
  }
  return {
    maxHeaderBytes: integer(env, 'GATEWAY_MAX_HEADER_BYTES', DEFAULT_MAX_HEADER_BYTES, 1024, 1024 * 1024),
    bodyLimitBytes: integer(env, 'GATEWAY_BODY_LIMIT_BYTES', DEFAULT_BODY_LIMIT_BYTES, 0, Number.MAX_SAFE_INTEGER),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'GATEWAY_KEEPALIVE_TIMEOUT_MS', DEFAULT_KEEPALIVE_TIMEOUT_MS, 1, 3_600_000)
  }
}

/** `GATEWAY_WORKERS`: an integer from 1 to MAX_WORKERS, or `auto` (one per core). Default 1. */
export function readWorkers (env: Env): number {
  if (optional(env, 'GATEWAY_WORKERS') === 'auto') return Math.min(availableParallelism(), MAX_WORKERS)
  const value = optional(env, 'GATEWAY_WORKERS')
  if (value !== undefined && !/^\d+$/.test(value)) {
    throw new ConfigError('GATEWAY_WORKERS', `must be "auto" or an integer from 1 to ${MAX_WORKERS}, got "${value}"`)
  }
  return integer(env, 'GATEWAY_WORKERS', 1, 1, MAX_WORKERS)
}

function optional (env: Env, name: string): string | undefined {
  const value = env[name]
  if (value === undefined) return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

function integer (env: Env, name: string, fallback: number, min: number, max: number): number {
  return optionalInteger(env, name, min, max) ?? fallback
}

function optionalInteger (env: Env, name: string, min: number, max: number): number | undefined {
  const value = optional(env, name)
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${value}"`)
  }
  return n
}

/** The one boolean parser of the app: on/off, true/false, 1/0 (any case). */
function boolean (env: Env, name: string, fallback: boolean): boolean {
  const value = optional(env, name)
  if (value === undefined) return fallback
  const parsed = parseBoolean(value)
  if (parsed === undefined) throw new ConfigError(name, `must be on/off, true/false or 1/0; got "${value}"`)
  return parsed
}

function oneOf (env: Env, name: string, allowed: readonly string[], fallback: string): string {
  const value = optional(env, name)
  if (value === undefined) return fallback
  if (!allowed.includes(value)) throw new ConfigError(name, `must be one of: ${allowed.join(', ')}; got "${value}"`)
  return value
}

function headerList (env: Env, name: string): string[] {
  const value = optional(env, name)
  if (value === undefined) return []
  const list = value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')
  for (const header of list) {
    if (!TOKEN.test(header)) throw new ConfigError(name, `must be comma-separated header names, got "${header}"`)
  }
  return list
}

function parseUpstreams (value: string): string[] {
  const urls = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (urls.length === 0) throw new ConfigError('GATEWAY_UPSTREAMS', 'must list at least one http:// URL')
  const seen = new Set<string>()
  for (const url of urls) {
    if (!/^https?:\/\/[^/?#@]+\/?$/.test(url)) {
      throw new ConfigError('GATEWAY_UPSTREAMS', `must be comma-separated http(s):// origins (no path), got "${url}"`)
    }
    const normal = url.toLowerCase().replace(/\/+$/, '')
    if (seen.has(normal)) throw new ConfigError('GATEWAY_UPSTREAMS', `lists "${url}" twice`)
    seen.add(normal)
  }
  return urls
}

/** `host:port` or `tcp://host:port` entries, as `tcp://` target URLs. */
function parseTcpUpstreams (value: string): string[] {
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (entries.length === 0) throw new ConfigError('GATEWAY_TCP_UPSTREAMS', 'must list at least one host:port')
  return entries.map((entry) => {
    const url = entry.startsWith('tcp://') ? entry : `tcp://${entry}`
    if (!/^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}\/?$/.test(url)) {
      throw new ConfigError('GATEWAY_TCP_UPSTREAMS', `must be comma-separated host:port (or tcp://host:port), got "${entry}"`)
    }
    return url
  })
}

/** `true`/`false` (or on/off), a hop count, or a comma-separated list of addresses/CIDRs. */
export function parseTrustProxy (value: string | undefined): boolean | number | string[] {
  if (value === undefined) return false
  if (/^\d+$/.test(value)) return Number(value)
  const flag = parseBoolean(value)
  if (flag !== undefined) return flag
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const entry of list) {
    if (!isIpRange(entry)) {
      throw new ConfigError('GATEWAY_TRUST_PROXY', `must be true, false, a hop count or IP addresses/CIDR ranges (IPv4 prefix ≤ 32, IPv6 ≤ 128), got "${entry}"`)
    }
  }
  return list
}
