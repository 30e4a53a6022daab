/**
 * The sticky cookie on the wire: `Set-Cookie` serialisation with attributes
 * fixed per route (computed once), and reading every value of one name from
 * a `Cookie` header.
 */

export type SameSite = 'Lax' | 'Strict' | 'None'

export const DEFAULT_SAME_SITE: SameSite = 'Lax'
/** A `Path` attribute value: visible ASCII but `;`, starting with `/`. */
const COOKIE_PATH = /^\/[\x21-\x3A\x3C-\x7E]*$/
const SAME_SITE_VALUES: readonly string[] = ['Lax', 'Strict', 'None']

export interface StickyCookieAttributes {
  /** Cookie name (an RFC 6265 token). */
  name: string
  /** `Path` attribute: the route prefix. */
  path: string
  /** `SameSite` attribute. Default `Lax`. */
  sameSite?: SameSite
  /** `Max-Age` attribute; absent → a session cookie. */
  maxAgeSeconds?: number
}

/** `(value, secure) => Set-Cookie header value`. */
export type StickyCookieSerializer = (value: string, secure: boolean) => string

/**
 * Build the serializer of one route's cookie. `Secure` is added when the
 * client connection is HTTPS, and always when the browser would refuse the
 * cookie without it (`SameSite=None`, `__Secure-`/`__Host-` names).
 * Throws a RangeError naming the attribute that cannot be honoured.
 */
export function createCookieSerializer (attributes: StickyCookieAttributes): StickyCookieSerializer {
  const { name, path } = attributes
  const sameSite = attributes.sameSite ?? DEFAULT_SAME_SITE
  if (!SAME_SITE_VALUES.includes(sameSite)) throw new RangeError(`sameSite must be one of ${SAME_SITE_VALUES.join(', ')}, got ${JSON.stringify(sameSite)}`)
  if (attributes.maxAgeSeconds !== undefined && (!Number.isInteger(attributes.maxAgeSeconds) || attributes.maxAgeSeconds < 1)) {
    throw new RangeError(`maxAgeSeconds must be a positive integer, got ${String(attributes.maxAgeSeconds)}`)
  }
  if (!COOKIE_PATH.test(path)) throw new RangeError(`path ${JSON.stringify(path)} cannot be a cookie Path`)
  if (name.startsWith('__Host-') && path !== '/') throw new RangeError(`cookie ${name}: a __Host- cookie needs the route path "/"`)
  let suffix = `; Path=${path}; HttpOnly; SameSite=${sameSite}`
  if (attributes.maxAgeSeconds !== undefined) suffix += `; Max-Age=${attributes.maxAgeSeconds}`
  const secureSuffix = suffix + '; Secure'
  const alwaysSecure = sameSite === 'None' || name.startsWith('__Secure-') || name.startsWith('__Host-')
  const prefix = name + '='
  return alwaysSecure
    ? (value) => prefix + value + secureSuffix
    : (value, secure) => prefix + value + (secure ? secureSuffix : suffix)
}
