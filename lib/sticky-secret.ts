/**
 * The key that signs sticky cookies: the configured secret, or a random one
 * made at start (honoured by this instance only, until it restarts).
 */
import { randomBytes } from 'node:crypto'
import { ConfigError } from './validate.js'

/** Shortest sticky secret accepted (bytes): an HMAC-SHA256 key below 128 bits is guessable. */
export const MIN_STICKY_SECRET_BYTES = 16

/** Bytes of the random secret made when none is configured. */
export const RANDOM_SECRET_BYTES = 32

export interface SecretLogger {
  warn: (message: string) => void
}

/**
 * Check a configured secret (`field` names it in errors), or make a random one,
 * warning through `log` when `needed` (some pool uses sticky cookies).
 */
export function resolveStickySecret (secret: string | undefined, needed: boolean, log: SecretLogger, field = 'stickySecret'): Buffer {
  if (secret !== undefined) {
    if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_STICKY_SECRET_BYTES) {
      throw new ConfigError(field, `must be a string of at least ${MIN_STICKY_SECRET_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`)
    }
    return Buffer.from(secret, 'utf8')
  }
  if (needed) {
    log.warn('GATEWAY_STICKY_SECRET (stickySecret) is not set: sticky cookies are signed with a random key made at start, ' +
      'so only this instance honours them, and only until it restarts')
  }
  return randomBytes(RANDOM_SECRET_BYTES)
}
