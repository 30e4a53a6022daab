/**
 * Header rules of forwarding, framework-free: hop-by-hop stripping in both
 * directions (RFC 9110 §7.6.1), `X-Forwarded-*`, hiding the backend
 * (`Server`, `X-Powered-By`, `Location`).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { createRequire } from 'node:module'

/**
 * undici's own header-name lookups (the table and byte tree its parser uses):
 * a well-known name comes back as one interned lowercase string, without
 * decoding the Buffer and lowercasing a copy (~0.1 µs a name saved here).
 * Loaded alone: the package entry would load all of undici.
 */
const undiciUtil = createRequire(import.meta.url)('undici/lib/core/util.js') as {
  headerNameToString: (name: string | Buffer) => string
  bufferToLowerCasedHeaderName: (name: Buffer) => string
}
const lowerCaseName = undiciUtil.headerNameToString
const lowerCaseBufferName = undiciUtil.bufferToLowerCasedHeaderName

/**
 * A header value's bytes as a string. `latin1Slice` is what `toString('latin1')`
 * calls after checking its arguments.
 */
function latin1 (value: Buffer): string {
  return (value as Buffer & { latin1Slice: (start: number, end: number) => string }).latin1Slice(0, value.length)
}

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

/**
 * Hop-by-hop and identity names as one lookup (array forms below): `1` never
 * forwarded in either direction, `2` also dropped from responses (the
 * backend's identity), `3` request fields the gateway sets itself or refuses
 * to pass on (`host`, `expect`: the gateway answers `100 Continue` itself).
 */
const REQUEST_SKIP = new Map<string, number>([
  ...HOP_BY_HOP.map((name): [string, number] => [name, 1]),
  ['host', 3], ['expect', 3], ['x-forwarded-for', 4], ['x-forwarded-proto', 4], ['x-forwarded-host', 4], ['forwarded', 4]
])
const RESPONSE_SKIP = new Set([...HOP_BY_HOP, ...REVEALING])

/** `Connection` values that are connection options only, naming no header. */
const OPTION_ONLY = new Set(['keep-alive', 'close', ''])

/** Names listed in a `Connection` header value (lowercase), or undefined when none. */
export function connectionTokens (value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined
  const text = Array.isArray(value) ? value.join(',') : value
  // The common values name no header: answer without splitting (most backends send `keep-alive`).
  if (text.length <= 10 && OPTION_ONLY.has(text.toLowerCase())) return undefined
  let tokens: Set<string> | undefined
  for (const token of text.split(',')) {
    const name = token.trim().toLowerCase()
    if (name === '' || name === 'close' || name === 'keep-alive') continue
    if (tokens === undefined) tokens = new Set()
    tokens.add(name)
  }
  return tokens
}

/**
 * The upstream request's header list, in one pass over the client's raw
 * headers (`[name, value, …]`, pseudo-headers of HTTP/2 skipped):
 * hop-by-hop and `Connection`-named fields removed, `Host` and `Expect`
 * dropped, `X-Forwarded-*`/`Forwarded` kept only from a trusted peer; then
 * `Host` (the target's) and the `X-Forwarded-*` of this hop appended.
 */
export function upstreamRequestHeaders (raw: readonly string[], connection: string | string[] | undefined, facts: ForwardedFacts & { upstreamHost: string }): string[] {
  const tokens = connectionTokens(connection)
  const out: string[] = []
  let priorFor: string | undefined
  let priorProto: string | undefined
  let priorHost: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = lowerCaseName(raw[i] as string)
    if (name.charCodeAt(0) === 58 /* : */) continue
    const skip = REQUEST_SKIP.get(name)
    if (skip !== undefined) {
      if (skip === 4 && facts.peerTrusted) {
        const value = raw[i + 1] as string
        if (name === 'x-forwarded-for') priorFor = priorFor === undefined ? value : `${priorFor}, ${value}`
        else if (name === 'x-forwarded-proto') priorProto ??= value
        else if (name === 'x-forwarded-host') priorHost ??= value
        else out.push(name, value)
      }
      continue
    }
    if (tokens !== undefined && tokens.has(name)) continue
    out.push(name, raw[i + 1] as string)
  }
  const peer = facts.peerAddress ?? ''
  out.push('host', facts.upstreamHost)
  out.push('x-forwarded-for', priorFor === undefined || priorFor === '' ? peer : `${priorFor}, ${peer}`)
  out.push('x-forwarded-proto', priorProto !== undefined && priorProto !== '' ? priorProto : facts.protocol)
  const host = priorHost !== undefined && priorHost !== '' ? priorHost : facts.host
  if (host !== undefined) out.push('x-forwarded-host', host)
  return out
}

/**
 * The response header list a client may see, in one pass over the
 * transport's raw headers (strings from the pool's HTTP/1.1 transport,
 * Buffers from undici's): names lowercased, hop-by-hop, `Connection`-named and
 * identity fields (`Server`, `X-Powered-By`…) removed. Returns the list and
 * the index of `location`'s value (-1 when none), for rewriting.
 */
export function clientResponseHeaders (raw: ReadonlyArray<string | Buffer>): { headers: string[], location: number } {
  const headers: string[] = []
  let connection: string | undefined
  let location = -1
  for (let i = 0; i < raw.length; i += 2) {
    const rawName = raw[i]!
    const rawValue = raw[i + 1]!
    const name = typeof rawName === 'string' ? lowerCaseName(rawName) : lowerCaseBufferName(rawName)
    const value = typeof rawValue === 'string' ? rawValue : latin1(rawValue)
    if (RESPONSE_SKIP.has(name)) {
      if (name === 'connection') connection = connection === undefined ? value : `${connection},${value}`
      continue
    }
    if (name === 'location') location = headers.length + 1
    headers.push(name, value)
  }
  const tokens = connectionTokens(connection)
  if (tokens !== undefined) {
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (tokens.has(headers[i] as string)) {
        headers.splice(i, 2)
        if (location > i) location -= 2
        else if (location === i + 1) location = -1
      }
    }
  }
  return { headers, location }
}
