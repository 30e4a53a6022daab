/**
 * `StickyCookieCodec`: the value of a sticky-session cookie, signed and opaque.
 *
 * Layout before base64url (no padding):
 *
 *   version (1 byte) | issuedAt (uint32 BE, epoch seconds) | target id (1–64 bytes) | HMAC-SHA256 (32 bytes)
 *
 * The MAC covers a binding (the pool's name and the cookie's name) and every
 * byte before it, so a value is honoured only by gateways that share the
 * secret, and only for the pool that issued it: a cookie of pool `a` replayed
 * on pool `b` fails verification even when both name a target `x`. The target
 * id is the target's stable opaque id (a hash of its URL unless configured),
 * never its address. MACs are compared in constant time.
 *
 * Framework-free; no state but the key.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import { MIN_STICKY_SECRET_BYTES } from '../../lib/sticky-secret.js'

export const STICKY_COOKIE_VERSION = 1
const HEADER_BYTES = 5
const MAC_BYTES = 32
const MAX_ID_BYTES = 64
/** Longest value worth decoding: header + longest id + MAC, in base64url. */
const MAX_VALUE_CHARS = Math.ceil((HEADER_BYTES + MAX_ID_BYTES + MAC_BYTES) * 4 / 3)
const MIN_VALUE_CHARS = Math.ceil((HEADER_BYTES + 1 + MAC_BYTES) * 4 / 3)
const BASE64URL = /^[A-Za-z0-9_-]+$/
const TARGET_ID = /^[\x21-\x7E]{1,64}$/
/** How far in the future an issue time may lie (clocks of several instances differ). */
export const MAX_CLOCK_SKEW_SECONDS = 300
/** Shortest secret accepted, in bytes. */
export { MIN_STICKY_SECRET_BYTES }

export interface StickyCookieCodecOptions {
  /** Signing key shared by every gateway instance that must honour the cookies (≥ 16 bytes). */
  secret: string | Buffer
  /** What the cookie is bound to, e.g. the pool's name: a value verifies only under the same binding. */
  binding: string
  /** Values older than this are rejected. Default: no expiry (a session cookie). */
  maxAgeSeconds?: number
}

/** A verified cookie value. */
export interface StickyCookieValue {
  targetId: string
  /** Epoch seconds when the value was issued. */
  issuedAt: number
}

export class StickyCookieCodec {
  private readonly key: KeyObject
  private readonly binding: Buffer
  private readonly maxAgeSeconds: number

  constructor (options: StickyCookieCodecOptions) {
    const secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret
    if (secret.length < MIN_STICKY_SECRET_BYTES) throw new RangeError(`sticky secret must be at least ${MIN_STICKY_SECRET_BYTES} bytes`)
    // A key of our own, derived from the secret, so the secret can be shared with other uses.
    this.key = createSecretKey(createHmac('sha256', secret).update('switchyard sticky cookie v1').digest())
    this.binding = Buffer.from(`${options.binding.length}:${options.binding}\n`, 'utf8')
    this.maxAgeSeconds = options.maxAgeSeconds ?? 0
  }

  /** The signed cookie value naming `targetId`, issued at `nowMs`. */
  encode (targetId: string, nowMs: number): string {
    if (!TARGET_ID.test(targetId)) throw new RangeError('target id must be 1-64 visible ASCII characters')
    const idLength = targetId.length
    const bytes = Buffer.allocUnsafe(HEADER_BYTES + idLength + MAC_BYTES)
    bytes[0] = STICKY_COOKIE_VERSION
    bytes.writeUInt32BE(Math.floor(nowMs / 1000) >>> 0, 1)
    bytes.write(targetId, HEADER_BYTES, 'latin1')
    this.sign(bytes.subarray(0, HEADER_BYTES + idLength)).copy(bytes, HEADER_BYTES + idLength)
    return bytes.toString('base64url')
  }

  /**
   * The target a value names, or `undefined` when the value is malformed,
   * forged, signed under another secret or binding, or expired at `nowMs`.
   */
  decode (value: string, nowMs: number): StickyCookieValue | undefined {
    if (value.length < MIN_VALUE_CHARS || value.length > MAX_VALUE_CHARS || !BASE64URL.test(value)) return undefined
    const bytes = Buffer.from(value, 'base64url')
    const macAt = bytes.length - MAC_BYTES
    if (macAt <= HEADER_BYTES || bytes[0] !== STICKY_COOKIE_VERSION) return undefined
    // Only the canonical encoding: the decoder ignores stray trailing bits and characters.
    if (bytes.toString('base64url') !== value) return undefined
    if (!timingSafeEqual(this.sign(bytes.subarray(0, macAt)), bytes.subarray(macAt))) return undefined
    const issuedAt = bytes.readUInt32BE(1)
    const now = Math.floor(nowMs / 1000)
    if (issuedAt > now + MAX_CLOCK_SKEW_SECONDS) return undefined
    if (this.maxAgeSeconds > 0 && now - issuedAt > this.maxAgeSeconds) return undefined
    return { targetId: bytes.toString('latin1', HEADER_BYTES, macAt), issuedAt }
  }

  private sign (payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(this.binding).update(payload).digest()
  }
}
