/**
 * What the cache stores, framework-free: a response with its freshness facts
 * worked out once at store time (so a hit costs no header parsing), or a
 * marker saying which request fields the responses of a URL vary on.
 */

/** Response header fields as stored: lower-case names. */
export type StoredHeaders = Record<string, string | string[]>

export interface CachedResponse {
  kind: 'response'
  status: number
  headers: StoredHeaders
  body: Buffer
  /** Epoch ms when the response (or the 304 that last refreshed it) arrived. */
  responseTime: number
  /** Corrected initial age in seconds (RFC 9111 §4.2.3). */
  initialAge: number
  /** Freshness lifetime in seconds (RFC 9111 §4.2.1), heuristic included. */
  lifetime: number
  /** `must-revalidate`, `proxy-revalidate` or `s-maxage`: never served stale without revalidation. */
  mustRevalidate: boolean
  /** `stale-while-revalidate` seconds (RFC 5861), 0 when absent. */
  staleWhileRevalidate: number
  /** `stale-if-error` seconds (RFC 5861), 0 when absent. */
  staleIfError: number
  etag: string | undefined
  lastModified: string | undefined
  /** Request fields this response varies on (sorted, lower-case); empty when none. */
  vary: string[]
}

export interface VaryMarker {
  kind: 'vary'
  /** Request fields the responses stored under this URL vary on. */
  names: string[]
}

export type StoredItem = CachedResponse | VaryMarker

/** Bytes an item holds in memory, for the byte bound: body, headers, fixed overhead. */
export function itemSize (key: string, item: StoredItem): number {
  let size = 200 + key.length * 2
  if (item.kind === 'vary') return size + item.names.join('').length * 2
  size += item.body.length
  for (const name in item.headers) {
    const value = item.headers[name] as string | string[]
    size += 48 + name.length * 2 + (Array.isArray(value) ? value.join('').length : value.length) * 2
  }
  return size
}

/** Encode an item for a byte store (Redis): 4-byte meta length, meta JSON, raw body. */
export function encodeItem (item: StoredItem): Buffer {
  if (item.kind === 'vary') {
    const meta = Buffer.from(JSON.stringify(item))
    const head = Buffer.allocUnsafe(4)
    head.writeUInt32BE(meta.length, 0)
    return Buffer.concat([head, meta])
  }
  const { body, ...rest } = item
  const meta = Buffer.from(JSON.stringify(rest))
  const head = Buffer.allocUnsafe(4)
  head.writeUInt32BE(meta.length, 0)
  return Buffer.concat([head, meta, body])
}

/** Decode what `encodeItem` wrote; undefined when it is not a valid item. */
export function decodeItem (buffer: Buffer): StoredItem | undefined {
  if (buffer.length < 4) return undefined
  const metaLength = buffer.readUInt32BE(0)
  if (4 + metaLength > buffer.length) return undefined
  let meta: { kind?: string }
  try {
    meta = JSON.parse(buffer.subarray(4, 4 + metaLength).toString()) as { kind?: string }
  } catch {
    return undefined
  }
  if (meta.kind === 'vary') return meta as VaryMarker
  if (meta.kind !== 'response') return undefined
  return { ...(meta as Omit<CachedResponse, 'body'>), body: buffer.subarray(4 + metaLength) }
}
