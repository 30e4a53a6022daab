/**
 * Bearer-token check for the admin listener, in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export type TokenCheck = (authorization: string | undefined) => boolean

export function createTokenCheck (token: string | undefined): TokenCheck {
  if (token === undefined || token === '') return () => true
  const expected = createHash('sha256').update(token).digest()
  return (authorization) => {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return false
    const given = createHash('sha256').update(authorization.slice(7)).digest()
    return timingSafeEqual(given, expected)
  }
}
