/**
 * Path hygiene: does a request target try to climb out of its route's prefix?
 *
 * A path whose segments include `.` or `..` — written plainly, percent-encoded
 * (`%2e%2e`, even double-encoded `%252e`), or separated by an encoded slash
 * (`..%2f`) or a backslash (`..\`, `%5c`) — is refused rather than normalised:
 * browsers and HTTP clients remove dot-segments before sending (RFC 3986
 * §5.2.4), so such a request is a bug or an attack, and any normalisation we
 * did could differ from the backend's, which is what path-confusion attacks
 * rely on. Encoded slashes alone (`group%2Fproject`) stay allowed: some APIs
 * use them inside one segment.
 *
 * A segment whose part before a `;` is a dot-segment (`..;`, `..;x`, `.;`)
 * counts too: Tomcat and Jetty drop path parameters before resolving dots,
 * so `/api/..;/admin` reaches `/admin` on them (a well-known ACL bypass).
 */

/** How many rounds of percent-decoding are looked through (`%25252e` …). */
const MAX_DECODE_ROUNDS = 3

/**
 * `true` when the path part of `url` holds a dot-segment (`.`, `..`) in any
 * spelling, or a NUL byte. Cheap for ordinary paths: only paths with `%`, `\`
 * or a segment starting with `.` are looked at closely.
 */
export function hasDotSegment (url: string): boolean {
  const query = url.indexOf('?')
  let path = query === -1 ? url : url.slice(0, query)
  if (path.indexOf('/.') === -1 && path.indexOf('%') === -1 && path.indexOf('\\') === -1) return false
  for (let round = 0; ; round++) {
    if (hasDotSegmentIn(path)) return true
    if (round === MAX_DECODE_ROUNDS || path.indexOf('%') === -1) return false
    const decoded = path.replace(PERCENT_ESCAPE, decodeByte)
    if (decoded === path) return false
    path = decoded
  }
}

function hasDotSegmentIn (path: string): boolean {
  if (path.indexOf('\0') !== -1) return true
  for (const segment of path.split(/[/\\]/)) {
    if (segment === '.' || segment === '..') return true
    if (segment.charCodeAt(0) === 46 /* . */ && isDotBeforeParameters(segment)) return true
  }
  return false
}

/** `.;…` or `..;…`: a dot-segment with path parameters (RFC 2396 `;param`). */
function isDotBeforeParameters (segment: string): boolean {
  const semicolon = segment.indexOf(';')
  return semicolon === 1 || (semicolon === 2 && segment.charCodeAt(1) === 46)
}

/** Byte-wise percent-decoding: all a dot, slash or backslash needs, and it cannot fail. */
const PERCENT_ESCAPE = /%([0-9a-fA-F]{2})/g

function decodeByte (_match: string, hex: string): string {
  return String.fromCharCode(parseInt(hex, 16))
}
