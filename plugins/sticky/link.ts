/**
 * The sticky link of the chain (after the cache, before the balancer), in
 * two halves:
 *
 * - request: verifies the route's cookie and writes `exchange.preferred`
 *   (the pinned target) and, in its slot, what the cookie was. The balancer
 *   link uses the pinned target while it may serve (healthy, not ejected;
 *   draining allowed), else balances.
 * - response (upstream responses only, so after any retry/failover; cache
 *   hits and the gateway's own errors set no cookie): adds a `Set-Cookie`
 *   naming the target that served, unless it is the validly pinned one, and
 *   counts hits, pins, re-pins and rejected cookies on the pool.
 */
import type { FastifyInstance } from 'fastify'
import type { Exchange } from '../../lib/exchange.js'
import type { Link, LinkFactory } from '../../lib/link.js'
import type { TrustFunction } from '../../lib/trust.js'
import type { Pool } from '../pools/index.js'
import { readCookie, cookieValues } from '../../lib/cookies.js'
import { StickyCookieCodec } from './codec.js'
import { ConfigError } from '../../lib/validate.js'
import { createCookieSerializer, type SameSite, type StickyCookieSerializer } from './cookie.js'

/** What the request's sticky cookie was (the link's slot; none: no cookie). */
export const STICKY_NONE = 0
/** Valid, naming a target of the pool. */
export const STICKY_VALID = 1
/** Valid, but past half its `maxAgeSeconds`: re-issued so active users keep their target. */
export const STICKY_REFRESH = 2
/** Present but not valid: malformed, forged, signed under another secret or pool, or expired. */
export const STICKY_REJECTED = 3
/** Valid, but its target is no longer in the pool. */
export const STICKY_UNKNOWN_TARGET = 4

export interface StickyConfig {
  /** Cookie name. */
  cookie: string
  /** `Max-Age`, and the age after which a value is no longer honoured. Default: a session cookie. */
  maxAgeSeconds?: number
  /** `Lax` (default), `Strict` or `None`. */
  sameSite?: string
}

export interface StickyLinkOptions {
  pool: Pool
  /** Route prefix (`/api`): the cookie's `Path`. */
  prefix: string
  /** Signing key shared by the gateway instances. */
  secret: string | Buffer
  /** Peers whose `X-Forwarded-Proto` is believed (for `Secure`). */
  trust: TrustFunction
  /** Slot of the exchange where the link keeps what the cookie was. */
  slot: number
  /** The pool's sticky config. Default `pool.config.sticky`. */
  config?: StickyConfig
}

/** The chain's factory: a sticky link on routes whose pool has `sticky`. */
export const createStickyLink: LinkFactory = (app: FastifyInstance, route) => {
  if (route.pool.config.sticky === undefined) return undefined
  return stickyLink({ pool: route.pool, prefix: route.prefix, secret: app.switchyard.stickySecret, trust: route.trust, slot: route.allocateSlot() })
}

export function stickyLink (options: StickyLinkOptions): Link {
  const { pool, trust, slot } = options
  const config = options.config ?? pool.config.sticky
  if (config === undefined) throw new ConfigError(`pools.${pool.name}.sticky`, 'is required for a sticky link')
  const name = config.cookie
  const codec = new StickyCookieCodec({
    secret: options.secret,
    binding: `${pool.name}\n${name}`,
    ...(config.maxAgeSeconds !== undefined ? { maxAgeSeconds: config.maxAgeSeconds } : {})
  })
  let serialize: StickyCookieSerializer
  try {
    serialize = createCookieSerializer({
      name,
      path: options.prefix,
      ...(config.sameSite !== undefined ? { sameSite: config.sameSite as SameSite } : {}),
      ...(config.maxAgeSeconds !== undefined ? { maxAgeSeconds: config.maxAgeSeconds } : {})
    })
  } catch (err) {
    throw new ConfigError(`pools.${pool.name}.sticky`, (err as Error).message)
  }
  const refreshAfterSeconds = config.maxAgeSeconds === undefined ? 0 : Math.floor(config.maxAgeSeconds / 2)
  const counters = pool.stickyCounters

  /** Pin `exchange` to the target `value` names; `false` when the value is of no use. */
  function accept (exchange: Exchange, slots: unknown[], value: string): boolean {
    const decoded = codec.decode(value, exchange.startedAt)
    if (decoded === undefined) {
      if (slots[slot] === undefined) slots[slot] = STICKY_REJECTED
      return false
    }
    const target = pool.findTarget(decoded.targetId)
    if (target === undefined) {
      slots[slot] = STICKY_UNKNOWN_TARGET
      return false
    }
    exchange.preferred = target
    slots[slot] = refreshAfterSeconds > 0 && exchange.startedAt / 1000 - decoded.issuedAt > refreshAfterSeconds
      ? STICKY_REFRESH
      : STICKY_VALID
    return true
  }

  function request (exchange: Exchange): void {
    const header = exchange.headers.cookie
    if (header === undefined) return
    const slots = exchange.slots as unknown[]
    const first = readCookie(header, name)
    if (first !== undefined && !accept(exchange, slots, first)) {
      // Cookies of the same name from other paths (e.g. a `/` route's) come after the most specific one.
      const values = cookieValues(header, name)
      for (let i = 1; i < values.length; i++) if (accept(exchange, slots, values[i] as string)) break
    }
  }

  function response (exchange: Exchange): void {
    const target = exchange.target
    if (!exchange.fromUpstream || target === undefined) return
    const state = (exchange.slots as unknown[])[slot] ?? STICKY_NONE
    if (target === exchange.preferred) {
      counters.hits++
      if (state !== STICKY_REFRESH) return
    } else if (exchange.preferred !== undefined || state === STICKY_UNKNOWN_TARGET) {
      counters.repins++
    } else if (state === STICKY_REJECTED) {
      counters.rejected++
    } else {
      counters.pins++
    }
    exchange.addResponseHeader('set-cookie', serialize(codec.encode(target.id, Date.now()), isSecure(exchange, trust)))
  }

  return { request, response }
}

/** HTTPS to the client: a TLS connection, or `X-Forwarded-Proto: https` from a trusted proxy. */
export function isSecure (exchange: Pick<Exchange, 'req' | 'headers'>, trust: TrustFunction): boolean {
  const socket = exchange.req.socket as { encrypted?: boolean, remoteAddress?: string } | null
  if (socket === null) return false
  if (socket.encrypted === true) return true
  const proto = exchange.headers['x-forwarded-proto']
  if (proto === undefined || socket.remoteAddress === undefined || !trust(socket.remoteAddress, 0)) return false
  const value = Array.isArray(proto) ? proto[0] ?? '' : proto
  const comma = value.indexOf(',')
  return (comma === -1 ? value : value.slice(0, comma)).trim().toLowerCase() === 'https'
}
