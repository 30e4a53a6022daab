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

/** The vary list of every response that varies on nothing (one array, not one per entry). */
const NO_VARY = Object.freeze([]) as unknown as string[]

/**
 * What an item costs the process in the memory store, in bytes, calibrated
 * on Node 20 with `bench/cache-memory.ts` (RSS growth over stored items, not
 * only their live size: V8 keeps free heap room in proportion to what lives
 * in it, and malloc keeps freed chunks of churned bodies):
 *   - per item: the store's slot and Map entry, the item object and its
 *     numbers, the headers object, the vary list (~700 bytes live);
 *   - per body: the Buffer, its ArrayBuffer and backing store (~300 bytes)
 *     on top of its length;
 *   - per header field: the property and its strings; per string V8's header
 *     and padding, characters at one byte each (header values are latin1).
 */
export const ENTRY_OVERHEAD_BYTES = 1000
export const BODY_OVERHEAD_BYTES = 300
export const HEADER_OVERHEAD_BYTES = 64
export const STRING_OVERHEAD_BYTES = 32

/** Bytes an item holds in memory, for the byte bound: body, headers, key, per-object overheads. */
export function itemSize (key: string, item: StoredItem): number {
  let size = ENTRY_OVERHEAD_BYTES + STRING_OVERHEAD_BYTES + key.length
  if (item.kind === 'vary') {
    for (const name of item.names) size += STRING_OVERHEAD_BYTES + name.length
    return size
  }
  size += BODY_OVERHEAD_BYTES + item.body.length
  for (const name in item.headers) {
    const value = item.headers[name] as string | string[]
    size += HEADER_OVERHEAD_BYTES + STRING_OVERHEAD_BYTES + name.length
    if (Array.isArray(value)) {
      for (const v of value) size += STRING_OVERHEAD_BYTES + 8 + v.length
    } else {
      size += STRING_OVERHEAD_BYTES + value.length
    }
  }
  if (item.etag !== undefined) size += STRING_OVERHEAD_BYTES + item.etag.length
  if (item.lastModified !== undefined) size += STRING_OVERHEAD_BYTES + item.lastModified.length
  for (const name of item.vary) size += STRING_OVERHEAD_BYTES + name.length
  return size
}

/** A flat copy of `value`: no slice of, or rope over, a larger string kept alive with it. */
export function ownString (value: string): string {
  return JSON.parse(JSON.stringify(value)) as string
}

/** Distinct strings a `StringTable` keeps before it starts over (entries keep the copies they have). */
export const MAX_INTERNED_STRINGS = 8192
/** Longer strings are copied, not interned (they are seldom repeated). */
export const MAX_INTERNED_LENGTH = 96

/**
 * Header names and short values seen by one store, each kept once: a
 * thousand entries with the same `content-type`, `cache-control`, `server`
 * or the same second's `date` share one string instead of a copy each.
 * Bounded: when full it starts over (what entries hold stays valid).
 */
export class StringTable {
  private table = new Map<string, string>()

  /** The table's copy of `value`, or a flat copy of its own when it is too long to intern. */
  intern (value: string): string {
    const known = this.table.get(value)
    if (known !== undefined) return known
    const own = ownString(value)
    if (own.length > MAX_INTERNED_LENGTH) return own
    if (this.table.size >= MAX_INTERNED_STRINGS) this.table = new Map()
    this.table.set(own, own)
    return own
  }

  get size (): number { return this.table.size }
}

/**
 * A copy of `item` that holds only its own bytes, for a store that keeps it
 * in memory: the body in its own ArrayBuffer (a body that is a slice of a
 * socket read, or of Buffer's shared pool, would keep the whole read or pool
 * slab alive), headers in a fresh object of flat strings, names and short
 * values interned in the store's `strings`.
 */
export function compactItem (item: StoredItem, strings: StringTable): StoredItem {
  if (item.kind === 'vary') return { kind: 'vary', names: item.names.map((name) => strings.intern(name)) }
  const source = item.body
  let body = source
  if (source.byteOffset !== 0 || source.buffer.byteLength !== source.length) {
    body = Buffer.allocUnsafeSlow(source.length)
    source.copy(body)
  }
  const headers: StoredHeaders = {}
  for (const name in item.headers) {
    const value = item.headers[name] as string | string[]
    headers[strings.intern(name)] = Array.isArray(value) ? value.map((v) => strings.intern(v)) : strings.intern(value)
  }
  return {
    kind: 'response',
    status: item.status,
    headers,
    body,
    responseTime: item.responseTime,
    initialAge: item.initialAge,
    lifetime: item.lifetime,
    mustRevalidate: item.mustRevalidate,
    staleWhileRevalidate: item.staleWhileRevalidate,
    staleIfError: item.staleIfError,
    etag: item.etag === undefined ? undefined : strings.intern(item.etag),
    lastModified: item.lastModified === undefined ? undefined : strings.intern(item.lastModified),
    vary: item.vary.length === 0 ? NO_VARY : item.vary.map((name) => strings.intern(name))
  }
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
