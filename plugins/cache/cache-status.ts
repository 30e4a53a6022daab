/**
 * `Cache-Status` (RFC 9211) values of this cache, framework-free. Members
 * from caches nearer the origin come first; ours is appended.
 */
export const CACHE_NAME = 'switchyard'

export type ForwardReason = 'bypass' | 'method' | 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale'

export interface CacheStatusParams {
  hit?: boolean
  fwd?: ForwardReason
  fwdStatus?: number
  ttl?: number
  stored?: boolean
  collapsed?: boolean
  detail?: string
}

export function formatCacheStatus (p: CacheStatusParams): string {
  let out = CACHE_NAME
  if (p.hit === true) out += '; hit'
  if (p.fwd !== undefined) out += '; fwd=' + p.fwd
  if (p.fwdStatus !== undefined) out += '; fwd-status=' + String(p.fwdStatus)
  if (p.ttl !== undefined) out += '; ttl=' + String(Math.round(p.ttl))
  if (p.stored === true) out += '; stored'
  if (p.collapsed === true) out += '; collapsed'
  if (p.detail !== undefined) out += '; detail=' + p.detail
  return out
}

/** Append our member to an upstream cache's `Cache-Status` list. */
export function appendCacheStatus (upstream: string | string[] | number | undefined, ours: string): string {
  if (upstream === undefined || upstream === '') return ours
  return `${Array.isArray(upstream) ? upstream.join(', ') : String(upstream)}, ${ours}`
}
