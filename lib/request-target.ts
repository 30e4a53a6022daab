/**
 * Request targets in absolute form (`GET http://example.com/a HTTP/1.1`):
 * RFC 9112 §3.2.2 says a server MUST accept them. The gateway routes them by
 * their path and takes their authority as `Host` (a proxy-style request is
 * never sent to the authority's host). Used as Fastify's `rewriteUrl`.
 */
import type { IncomingMessage } from 'node:http'

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^#]*)/i

/** The origin-form target of `req` (its `url`), rewriting an absolute-form one and its `Host`. */
export function originFormOf (req: IncomingMessage): string {
  const url = req.url ?? '/'
  if (url.charCodeAt(0) === 47 /* / */) return url
  const match = ABSOLUTE_FORM.exec(url)
  if (match === null) return url
  const authority = match[1] as string
  let rest = match[2] as string
  if (rest === '' || rest.charCodeAt(0) === 63 /* ? */) rest = '/' + rest
  // The authority wins over any Host field (RFC 9112 §3.2.2); userinfo is never a host.
  const host = authority.includes('@') ? authority.slice(authority.lastIndexOf('@') + 1) : authority
  if (host !== '') {
    req.headers.host = host
    const raw = req.rawHeaders
    let found = false
    for (let i = 0; i < raw.length; i += 2) {
      if ((raw[i] as string).toLowerCase() === 'host') {
        if (found) { raw.splice(i, 2); i -= 2 } else { raw[i + 1] = host; found = true }
      }
    }
    if (!found) raw.push('Host', host)
  }
  req.url = rest
  return rest
}
