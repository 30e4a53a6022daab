/**
 * When a gateway response may be compressed, framework-free. @fastify/compress
 * negotiates the encoding (q-values) and compresses; this policy decides
 * before it whether it may: never a range, an event stream, a body the
 * backend already encoded, a `no-transform` response, a body known to be
 * below the threshold, a HEAD or a bodyless status.
 */

/** Bodies smaller than this are sent as they are (bytes). */
export const DEFAULT_THRESHOLD = 1024
/** Dynamic brotli quality: 4 is near gzip's speed with a better ratio (11 is for static files). */
export const DEFAULT_BROTLI_QUALITY = 2
/** gzip/deflate level: nginx's default `gzip_comp_level 1`. */
export const DEFAULT_ZLIB_LEVEL = 1
/** Encodings offered, in the gateway's order of preference when the client's q-values tie. */
export const DEFAULT_ENCODINGS = ['br', 'gzip', 'deflate'] as const
export type Encoding = typeof DEFAULT_ENCODINGS[number]

/**
 * Media types worth compressing: text (but not event streams, which must
 * flow unbuffered), JSON, XML, JavaScript, SVG, WASM, forms. Not
 * `application/octet-stream`: behind a gateway it is mostly archives and media.
 */
export const COMPRESSIBLE_TYPES = /^(?:text\/(?!event-stream)|application\/(?:[\w.-]+\+)?(?:json|xml)\b|application\/(?:javascript|ecmascript|wasm|x-www-form-urlencoded|graphql)\b|image\/svg\+xml\b|[\w.-]+\/[\w.-]+\+(?:json|xml)\b)/i

type HeaderValue = string | number | string[] | undefined

/** Content types seen, and whether they compress: a response checks one Map entry, not the pattern (bounded). */
const compressibleByType = new Map<string, boolean>()
const MAX_REMEMBERED_TYPES = 256

function isCompressibleType (contentType: string): boolean {
  let known = compressibleByType.get(contentType)
  if (known === undefined) {
    known = COMPRESSIBLE_TYPES.test(contentType)
    if (compressibleByType.size < MAX_REMEMBERED_TYPES) compressibleByType.set(contentType, known)
  }
  return known
}

/** The facts of a response the policy looks at. */
export interface ResponseFacts {
  method: string
  status: number
  contentType: HeaderValue
  contentEncoding: HeaderValue
  contentLength: HeaderValue
  contentRange: HeaderValue
  cacheControl: HeaderValue
  /** Byte length when the body is already in memory (a cached entry), else undefined. */
  bufferedLength: number | undefined
}

/**
 * Whether the response may be compressed; when it may, whether the client
 * gets it compressed depends on its `Accept-Encoding` (so `Vary` applies).
 */
export function mayCompress (facts: ResponseFacts, threshold: number): boolean {
  if (facts.method === 'HEAD') return false
  const status = facts.status
  if (status < 200 || status === 204 || status === 206 || status === 304) return false
  if (facts.contentRange !== undefined) return false
  if (facts.contentEncoding !== undefined && facts.contentEncoding !== 'identity') return false
  if (typeof facts.contentType !== 'string' || !isCompressibleType(facts.contentType)) return false
  if (typeof facts.cacheControl === 'string' && /(?:^|[\s,])no-transform(?:$|[\s,;])/i.test(facts.cacheControl)) return false
  const length = facts.bufferedLength ?? (facts.contentLength === undefined ? undefined : Number(facts.contentLength))
  if (length !== undefined && length < threshold) return false
  return true
}

/** `Vary` with `accept-encoding` added once (case-insensitively). */
export function varyWithAcceptEncoding (vary: HeaderValue): string {
  if (vary === undefined || vary === '') return 'accept-encoding'
  const value = Array.isArray(vary) ? vary.join(', ') : String(vary)
  if (value.trim() === '*') return value
  if (/(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(value)) return value.replace(/accept-encoding/i, 'accept-encoding')
  return `${value}, accept-encoding`
}

/** A strong ETag made weak: the compressed bytes are a different representation (RFC 9110 §8.8.3). */
export function weakenEtag (etag: HeaderValue): string | undefined {
  if (typeof etag !== 'string') return undefined
  return etag.startsWith('W/') ? etag : `W/${etag}`
}
