/**
 * Who a rate limit counts: the client IP (default; `request.ip`, which
 * honours the app's `trustProxy`), or the value of a request header
 * (`header:x-api-key`). A request without that header is counted by its IP,
 * so leaving the header out does not escape the limit.
 */
import { ConfigError } from '../../lib/validate.js'

/** `ip` or `header:NAME`. */
export type RateLimitKeySpec = 'ip' | `header:${string}`

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/

export interface KeySource {
  ip: string
  headers: Record<string, string | string[] | undefined>
}

/** Compile a key spec into `(request) => key`; IPv6 clients are counted per /64, as @fastify/rate-limit does. */
export function compileKey (spec: string | undefined, field: string, normalizeIp: (ip: string) => string): (request: KeySource) => string {
  if (spec === undefined || spec === 'ip') return (request) => 'ip:' + normalizeIp(request.ip)
  if (spec.startsWith('header:') && TOKEN.test(spec.slice(7))) {
    const name = spec.slice(7).toLowerCase()
    return (request) => {
      const value = request.headers[name]
      const first = Array.isArray(value) ? value[0] : value
      return first === undefined || first === '' ? 'ip:' + normalizeIp(request.ip) : 'h:' + first
    }
  }
  throw new ConfigError(field, `must be "ip" or "header:NAME", got ${JSON.stringify(spec)}`)
}
