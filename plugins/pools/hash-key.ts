/**
 * Where `consistent-hash` takes its key from: `ip`, `path`, `header:NAME` or `cookie:NAME`.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { readCookie } from '../../lib/cookies.js'

export type HashKeySource = 'ip' | 'path' | `header:${string}` | `cookie:${string}`

/** What a hash key is read from: a Fastify request, the gateway's exchange, or an L4 connection's facts. */
export interface HashKeyInput {
  /** Client address (after trusted proxies / PROXY protocol). */
  readonly ip: string
  /** Request target (path and query); '' where there is none (L4). */
  readonly url: string
  readonly headers: IncomingHttpHeaders
}

export type HashKeyReader = (request: HashKeyInput) => string | undefined

const HASH_KEY_PATTERN = /^(ip|path|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+|cookie:[A-Za-z0-9!#$%&'*+.^_`|~-]+)$/

export function isHashKeySource (value: string): value is HashKeySource {
  return HASH_KEY_PATTERN.test(value)
}

/** Build the function that reads a request's hash key. */
export function createHashKeyReader (source: HashKeySource): HashKeyReader {
  if (source === 'ip') return (request) => request.ip
  if (source === 'path') {
    return (request) => {
      const url = request.url
      const q = url.indexOf('?')
      return q === -1 ? url : url.slice(0, q)
    }
  }
  if (source.startsWith('header:')) {
    const name = source.slice(7).toLowerCase()
    return (request) => {
      const value = request.headers[name]
      return Array.isArray(value) ? value[0] : value
    }
  }
  const cookieName = source.slice(7)
  return (request) => readCookie(request.headers.cookie, cookieName)
}
