/**
 * Header rules of forwarding, framework-free: hop-by-hop stripping in both
 * directions (RFC 9110 §7.6.1), `X-Forwarded-*`, hiding the backend
 * (`Server`, `X-Powered-By`, `Location`).
 */
import type { IncomingHttpHeaders } from 'node:http'

type Headers = Record<string, string | string[] | number | undefined>

/** Hop-by-hop headers never forwarded, in either direction. */
const HOP_BY_HOP = [
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization',
  'http2-settings'
]

/** Headers that would tell a client what runs behind the gateway. */
const REVEALING = ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version']

/** Remove `Connection`, the headers it names, and every other hop-by-hop header. */
export function stripHopByHop (headers: Headers): void {
  const connection = headers.connection
  if (typeof connection === 'string') {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase()
      if (name !== '') delete headers[name]
    }
  }
  for (const name of HOP_BY_HOP) {
    if (headers[name] !== undefined) delete headers[name]
  }
}

/** Response headers as a client may see them: no hop-by-hop, no backend identity. */
export function sanitizeResponseHeaders (headers: Headers): void {
  stripHopByHop(headers)
  for (const name of REVEALING) {
    if (headers[name] !== undefined) delete headers[name]
  }
}

export interface ForwardedFacts {
  /** Address of the peer that sent the request to us. */
  peerAddress: string | undefined
  /** Whether that peer is a trusted proxy whose `X-Forwarded-*` we keep. */
  peerTrusted: boolean
  /** `https` when the client connection to us is TLS. */
  protocol: 'http' | 'https'
  /** Host the client asked for (`Host` or `:authority`). */
  host: string | undefined
}

/** Set `X-Forwarded-For/-Proto/-Host` on headers bound for a backend. */
export function setForwardedHeaders (headers: Headers, incoming: IncomingHttpHeaders, facts: ForwardedFacts): void {
  const peer = facts.peerAddress ?? ''
  const priorFor = facts.peerTrusted ? incoming['x-forwarded-for'] : undefined
  headers['x-forwarded-for'] = priorFor === undefined || priorFor === '' ? peer : `${String(priorFor)}, ${peer}`
  const priorProto = facts.peerTrusted ? incoming['x-forwarded-proto'] : undefined
  headers['x-forwarded-proto'] = typeof priorProto === 'string' && priorProto !== '' ? priorProto : facts.protocol
  const priorHost = facts.peerTrusted ? incoming['x-forwarded-host'] : undefined
  const host = typeof priorHost === 'string' && priorHost !== '' ? priorHost : facts.host
  if (host !== undefined) headers['x-forwarded-host'] = host
  else delete headers['x-forwarded-host']
  if (!facts.peerTrusted) delete headers.forwarded
}

export interface LocationContext {
  /** Origins of the pool's targets (`http://127.0.0.1:3001`). */
  isTargetOrigin: (origin: string) => boolean
  /** The route's prefix, re-added when the route strips it (`/api`), else ''. */
  restorePrefix: string
  /** `proto://host` of the gateway as the client addressed it. */
  publicOrigin: string
}

/**
 * Rewrite a backend's `Location` so that it points at the gateway: an absolute
 * URL on a target's origin, or a path, gets the route prefix back.
 * Other locations (external sites, relative references) are left alone.
 */
export function rewriteLocation (location: string, ctx: LocationContext): string {
  if (location.charCodeAt(0) === 47 /* / */) {
    if (location.charCodeAt(1) === 47) return location // protocol-relative: external
    return ctx.restorePrefix === '' ? location : ctx.restorePrefix + location
  }
  if (!/^https?:\/\//i.test(location)) return location
  let url: URL
  try {
    url = new URL(location)
  } catch {
    return location
  }
  if (!ctx.isTargetOrigin(url.origin)) return location
  return ctx.publicOrigin + ctx.restorePrefix + url.pathname + url.search + url.hash
}
