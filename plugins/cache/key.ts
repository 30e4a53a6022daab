/**
 * Cache keys, framework-free. The primary key is the URL the client asked
 * for: `scheme://host[:port]/path?query` (host lower-cased, default port
 * dropped), so one host's entry is never served for another and purging by
 * URL or prefix works on the public URL. Responses with `Vary` are stored
 * under a secondary key: primary + NUL + the request's values of the named
 * header fields.
 */
import type { IncomingHttpHeaders } from 'node:http'

/** Separates the primary key from a variant's secondary key. */
export const VARIANT_SEPARATOR = '\u0000'

/** `scheme://host/path?query` for a request (host lower-cased, default port dropped). */
export function primaryKey (scheme: string, host: string | undefined, url: string): string {
  return `${scheme}://${normalizeHost(scheme, host ?? '')}${url}`
}

/** The primary key of an absolute URL (admin purge, `Location`), or undefined when it isn't one. */
export function primaryKeyOfUrl (url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined
  return primaryKey(parsed.protocol.slice(0, -1), parsed.host, parsed.pathname + parsed.search)
}

function normalizeHost (scheme: string, host: string): string {
  let h = host.toLowerCase()
  if ((scheme === 'http' && h.endsWith(':80')) || (scheme === 'https' && h.endsWith(':443'))) {
    h = h.slice(0, h.lastIndexOf(':'))
  }
  return h
}

/**
 * Field names of a `Vary` header, lower-cased; `['*']` when it holds `*`;
 * empty when absent.
 */
export function parseVary (vary: string | string[] | number | undefined): string[] {
  if (vary === undefined) return []
  const joined = Array.isArray(vary) ? vary.join(',') : String(vary)
  const names: string[] = []
  for (const part of joined.split(',')) {
    const name = part.trim().toLowerCase()
    if (name === '') continue
    if (name === '*') return ['*']
    if (!names.includes(name)) names.push(name)
  }
  return names.sort()
}

/** The secondary key of a request for a response that varies on `names` (sorted). */
export function secondaryKey (names: readonly string[], headers: IncomingHttpHeaders): string {
  let key = ''
  for (const name of names) {
    const value = headers[name]
    const text = value === undefined ? '' : Array.isArray(value) ? value.join(', ') : value
    // Whitespace around list members does not change the meaning (RFC 9111 §4.1).
    key += name + ':' + text.replace(/\s*,\s*/g, ',').replace(/\s+/g, ' ').trim() + '\n'
  }
  return key
}

/** The key under which a variant is stored. */
export function variantKey (primary: string, secondary: string): string {
  return primary + VARIANT_SEPARATOR + secondary
}

/** The primary key a stored key belongs to (itself when it isn't a variant). */
export function primaryOf (key: string): string {
  const at = key.indexOf(VARIANT_SEPARATOR)
  return at === -1 ? key : key.slice(0, at)
}
