/**
 * Bearer-token check for the admin listener, in constant time. The scheme
 * name is case-insensitive (RFC 9110 §11.1): `Bearer`, `bearer`, `BEARER`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export type TokenCheck = (authorization: string | undefined) => boolean

const BEARER = /^bearer +(\S+) *$/i

export function createTokenCheck (token: string | undefined): TokenCheck {
  if (token === undefined || token === '') return () => true
  const expected = createHash('sha256').update(token).digest()
  return (authorization) => {
    const match = authorization === undefined ? null : BEARER.exec(authorization)
    if (match === null) return false
    const given = createHash('sha256').update(match[1] as string).digest()
    return timingSafeEqual(given, expected)
  }
}
