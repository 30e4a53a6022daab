/**
 * Admin token check, in constant time. The token is accepted as
 * `Authorization: Bearer <token>` (scheme case-insensitive, for scripts) or
 * as the password of HTTP Basic (any user name), which is what a browser
 * prompts for on the status page.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

/** How a request proved it may use the admin listener (`open`: no token is configured). */
export type AdminAuth = 'open' | 'bearer' | 'basic' | false

export type TokenCheck = (authorization: string | undefined) => AdminAuth

export function createTokenCheck (token: string | undefined): TokenCheck {
  if (token === undefined || token === '') return () => 'open'
  const expected = createHash('sha256').update(token).digest()
  const matches = (given: string): boolean => timingSafeEqual(createHash('sha256').update(given).digest(), expected)
  return (authorization) => {
    if (authorization === undefined) return false
    const space = authorization.indexOf(' ')
    if (space === -1) return false
    const scheme = authorization.slice(0, space).toLowerCase()
    const credentials = authorization.slice(space + 1).trim()
    if (scheme === 'bearer') return matches(credentials) ? 'bearer' : false
    if (scheme === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      return colon !== -1 && matches(decoded.slice(colon + 1)) ? 'basic' : false
    }
    return false
  }
}
