/**
 * The security-headers response filter of the chain: helmet's headers,
 * computed once by the plugin (index.ts), added to every response of a
 * gateway route — as defaults where the backend sent none of that name, and
 * over the backend's for the names it may not keep; HSTS only over TLS
 * (`request.protocol`, honouring a trusted proxy), a backend's HSTS over
 * plain HTTP removed.
 */
import type { FastifyInstance } from 'fastify'
import { getHeader, removeHeader, setHeader, type Exchange } from '../../lib/exchange.js'
import type { LinkFactory } from '../../lib/link.js'

export interface SecurityHeaderSettings {
  /** Headers the gateway always sets (over a backend's). */
  ours: Array<[string, string]>
  /** Headers set only when the response has none of that name. */
  fallbacks: Array<[string, string]>
  /** `Strict-Transport-Security` value over TLS, or undefined for none. */
  hsts: string | undefined
  /** Whether a backend's own HSTS (over TLS) is kept. */
  hstsBackendWins: boolean
}

export const createSecurityHeadersLink: LinkFactory = (app: FastifyInstance) => {
  if (!app.hasDecorator('switchyardSecurityHeaders')) return undefined
  const { ours, fallbacks, hsts, hstsBackendWins } = app.switchyardSecurityHeaders
  return {
    response (exchange: Exchange): void {
      const headers = exchange.responseHeaders
      for (let i = 0; i < ours.length; i++) {
        const header = ours[i] as [string, string]
        setHeader(headers, header[0], header[1])
      }
      for (let i = 0; i < fallbacks.length; i++) {
        const header = fallbacks[i] as [string, string]
        if (getHeader(headers, header[0]) === undefined) exchange.addResponseHeader(header[0], header[1])
      }
      if (hsts !== undefined && exchange.request.protocol === 'https') {
        if (!hstsBackendWins || getHeader(headers, 'strict-transport-security') === undefined) setHeader(headers, 'strict-transport-security', hsts)
      } else if (getHeader(headers, 'strict-transport-security') !== undefined) {
        // A backend's HSTS over plain HTTP is meaningless at best.
        removeHeader(headers, 'strict-transport-security')
      }
    }
  }
}
