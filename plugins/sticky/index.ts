/**
 * Sticky sessions by signed cookie (cookie insert mode).
 *
 * Place in the request chain: the `sticky` link (link.ts), after the cache
 * and before the balancer, on routes whose pool has a `sticky` config. The
 * signing key is `fastify.switchyard.stickySecret` (the `stickySecret`
 * option of the `pools` plugin).
 */
export { StickyCookieCodec, MIN_STICKY_SECRET_BYTES, MAX_CLOCK_SKEW_SECONDS } from './codec.js'
export type { StickyCookieCodecOptions, StickyCookieValue } from './codec.js'
export { createCookieSerializer, DEFAULT_SAME_SITE } from './cookie.js'
export { cookieValues } from '../../lib/cookies.js'
export type { SameSite, StickyCookieAttributes, StickyCookieSerializer } from './cookie.js'
export { createStickyLink, stickyLink, isSecure, STICKY_NONE, STICKY_VALID, STICKY_REFRESH, STICKY_REJECTED, STICKY_UNKNOWN_TARGET } from './link.js'
export type { StickyConfig, StickyLinkOptions } from './link.js'
export { resolveStickySecret, RANDOM_SECRET_BYTES } from './secret.js'
