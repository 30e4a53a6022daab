/**
 * Where `consistent-hash` takes its key from: `ip`, `path`, `header:NAME` or `cookie:NAME`.
 */
import type { FastifyRequest } from 'fastify'

export type HashKeySource = 'ip' | 'path' | `header:${string}` | `cookie:${string}`

export type HashKeyReader = (request: FastifyRequest) => string | undefined

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

/** The value of one cookie in a `Cookie` header, without parsing the others. */
export function readCookie (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      return header.slice(eq + 1, end).trim()
    }
    start = end + 1
  }
  return undefined
}
