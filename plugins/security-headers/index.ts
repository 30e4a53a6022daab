/**
 * `switchyard-security-headers`: security headers on every response of the
 * gateway (proxied, cached, or its own errors) — on gateway routes as the
 * chain's `security headers` response filter (link.ts), on an app's own
 * routes as an onSend hook:
 *   - helmet's headers, with gateway defaults (policy.ts), CSP only when given;
 *   - a backend's own value of a header wins (the gateway's are defaults for
 *     responses that lack them), unless `backendWins` lists other names;
 *   - `Strict-Transport-Security` only on requests that came over TLS
 *     (`request.protocol`, which honours a trusted proxy's X-Forwarded-Proto).
 * `Server` and `X-Powered-By` of backends never pass: the forwarder strips
 * them, and helmet removes the gateway's own X-Powered-By.
 *
 * Helmet's headers depend only on its options, so they are computed once at
 * registration (policy.ts runs helmet — the engine of @fastify/helmet — on a
 * stub response) and set in one onSend hook. @fastify/helmet's global mode
 * rebuilds helmet's middleware on every request (measured: +80–100 µs of CPU
 * per forwarded request, about half of its cost), and even with
 * `global: false` its async onRequest hook costs +20–40 µs; so it is
 * registered only when `replyHelmet: true` asks for `reply.helmet()`.
 */
import fp from 'fastify-plugin'
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { ConfigError } from '../../lib/validate.js'
import type { SecurityHeaderSettings } from './link.js'
import { DEFAULT_HSTS_MAX_AGE_SECONDS, gatewayHelmetOptions, helmetHeaders, hstsValue, type HstsOptions } from './policy.js'

export interface SecurityHeadersOptions {
  /** A Content-Security-Policy header value to send (`"default-src 'self'"`). Default: none. */
  csp?: string
  /**
   * Header names (lowercase) for which a backend's own value wins over the
   * gateway's; the gateway's value wins for the others. Default: every
   * header (the gateway's values are defaults for responses that lack them).
   */
  backendWins?: string[]
  /** HSTS over TLS: `false` for none, or its parameters. Default: one year, includeSubDomains. */
  hsts?: HstsOptions | false
  /** Also register @fastify/helmet (`global: false`) so an app's own routes can call `reply.helmet()`. Default false. */
  replyHelmet?: boolean
  /** Names option fields in errors (the bundled app passes its env var names). */
  fields?: { csp?: string }
}

const securityHeadersPlugin: FastifyPluginAsync<SecurityHeadersOptions> = async (fastify, options) => {
  const cspField = options.fields?.csp ?? 'csp'
  if (options.csp !== undefined && (typeof options.csp !== 'string' || options.csp.trim() === '')) {
    throw new ConfigError(cspField, 'must be a Content-Security-Policy value')
  }
  const helmetOptions = gatewayHelmetOptions(options.csp, cspField)
  const headers = helmetHeaders(helmetOptions, cspField)
  const backendWins = new Set(options.backendWins === undefined ? [...headers.map(([name]) => name), 'strict-transport-security'] : options.backendWins.map((name) => String(name).toLowerCase()))
  // Split once: headers the gateway always sets, and those a backend's own value may keep.
  const ours = headers.filter(([name]) => !backendWins.has(name))
  const fallbacks = headers.filter(([name]) => backendWins.has(name))
  const hsts = options.hsts === false ? undefined : hstsValue(options.hsts ?? { maxAgeSeconds: DEFAULT_HSTS_MAX_AGE_SECONDS })
  const settings: SecurityHeaderSettings = { ours, fallbacks, hsts, hstsBackendWins: backendWins.has('strict-transport-security') }
  fastify.decorate('switchyardSecurityHeaders', settings)

  if (options.replyHelmet === true) {
    // (helmet's ESM and CJS typings are distinct types of the same options.)
    await fastify.register(fastifyHelmet, { ...helmetOptions, global: false } as unknown as FastifyHelmetOptions)
  }

  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    for (let i = 0; i < ours.length; i++) {
      const header = ours[i] as [string, string]
      reply.header(header[0], header[1])
    }
    for (let i = 0; i < fallbacks.length; i++) {
      const header = fallbacks[i] as [string, string]
      if (!reply.hasHeader(header[0])) reply.header(header[0], header[1])
    }
    if (hsts !== undefined && request.protocol === 'https') {
      if (!backendWins.has('strict-transport-security') || !reply.hasHeader('strict-transport-security')) {
        reply.header('strict-transport-security', hsts)
      }
    } else if (reply.getHeader('strict-transport-security') !== undefined) {
      // A backend's HSTS over plain HTTP is meaningless at best.
      reply.removeHeader('strict-transport-security')
    }
    done(null, payload)
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    switchyardSecurityHeaders: SecurityHeaderSettings
  }
}

/** Register before the routes: `app.register(securityHeaders, { csp: "default-src 'self'" })`. */
export const securityHeaders = fp(securityHeadersPlugin, {
  fastify: '5.x',
  name: 'switchyard-security-headers'
})
export default securityHeaders
export { createSecurityHeadersLink, type SecurityHeaderSettings } from './link.js'
export { gatewayHelmetOptions, parseCsp, helmetHeaderNames, hstsValue, DEFAULT_HSTS_MAX_AGE_SECONDS, type HstsOptions } from './policy.js'
