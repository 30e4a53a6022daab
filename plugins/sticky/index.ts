/**
 * Sticky sessions by signed cookie (cookie insert mode).
 *
 * Place in the request chain: between the route (which creates
 * `request.switchyard`) and the balancer. `switchyard-proxy` wires it into a
 * route's scope when the route's pool has a `sticky` config: the request half
 * as an onRequest hook, the response half as the forwarder's
 * `onUpstreamResponse`. The signing key is `fastify.switchyard.stickySecret`
 * (the `stickySecret` option of the `pools` plugin).
 */
export { StickyCookieCodec, MIN_STICKY_SECRET_BYTES, MAX_CLOCK_SKEW_SECONDS } from './codec.js'
export type { StickyCookieCodecOptions, StickyCookieValue } from './codec.js'
export { createCookieSerializer, cookieValues, DEFAULT_SAME_SITE } from './cookie.js'
export type { SameSite, StickyCookieAttributes, StickyCookieSerializer } from './cookie.js'
export { createStickyLink, isSecure, STICKY_NONE, STICKY_VALID, STICKY_REFRESH, STICKY_REJECTED, STICKY_UNKNOWN_TARGET } from './link.js'
export type { StickyConfig, StickyLink, StickyLinkOptions } from './link.js'
export { resolveStickySecret, RANDOM_SECRET_BYTES } from './secret.js'
