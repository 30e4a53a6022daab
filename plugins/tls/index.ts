/**
 * `switchyard-tls`: the gateway's side of TLS termination, once the server is
 * an HTTPS one (`Fastify({ ...httpsServerOptions(pair) })`, HTTP/2 by ALPN
 * with HTTP/1.1 fallback):
 *   - certificate reload (`fastify.switchyardTls.reload()`, and on a signal,
 *     e.g. SIGHUP) without dropping open connections;
 *   - an optional plain-HTTP listener that redirects to HTTPS;
 *   - a readable 400 for plain HTTP sent to the TLS port (`plain-http.ts`).
 * Not a link of the request chain: it reads and writes no request state.
 */
import type { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Server as TlsServer } from 'node:tls'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { ConfigError, refuseUnknownOptions } from '../../lib/validate.js'
import { CertificateReloader, type ReloadResult, type SecureContextHolder } from './reloader.js'
import { createRedirectServer } from './redirect.js'
import { answerPlainHttpOnTlsPort } from './plain-http.js'
import type { CertificateFields } from './certificates.js'

export interface TlsOptions {
  /** PEM certificate file the server was built with (re-read on reload). */
  certPath: string
  /** PEM key file the server was built with (re-read on reload). */
  keyPath: string
  /** Names of the two files in error messages. Default: `certPath`, `keyPath`. */
  fields?: CertificateFields
  /** Process signal that reloads the certificate (`'SIGHUP'`), or none (default). */
  reloadSignal?: NodeJS.Signals
  /** Port of a plain-HTTP listener that redirects to HTTPS (0 = any free port). Default: none. */
  redirectPort?: number
  /** Address of the redirect listener. Default `0.0.0.0`. */
  redirectHost?: string
  /**
   * Port named in redirects. Default: the HTTPS listener's own port (right
   * unless a port mapping or another balancer stands in front).
   */
  publicHttpsPort?: number
}

export interface TlsControl {
  /** Re-read the certificate files; on failure the current certificate stays. */
  reload: () => ReloadResult
  /** The redirect listener, when configured. */
  redirectServer: HttpServer | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    switchyardTls: TlsControl
  }
}

const DEFAULT_REDIRECT_HOST = '0.0.0.0'

const tlsPlugin: FastifyPluginAsync<TlsOptions> = async (fastify, options) => {
  refuseUnknownOptions(options, ['certPath', 'keyPath', 'fields', 'reloadSignal', 'redirectPort', 'redirectHost', 'publicHttpsPort'], 'switchyard-tls')
  for (const name of ['certPath', 'keyPath'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new ConfigError(name, 'must be a PEM file path')
  }
  const server = fastify.server as unknown as Partial<SecureContextHolder>
  if (typeof server.setSecureContext !== 'function') {
    throw new ConfigError('certPath', 'needs an HTTPS server: build Fastify with httpsServerOptions(readCertificatePair(…))')
  }
  // Plain HTTP on this port gets a 400 saying to use https (nginx's behaviour).
  answerPlainHttpOnTlsPort(fastify.server as unknown as TlsServer)
  const redirectPort = options.redirectPort
  if (redirectPort !== undefined && (!Number.isInteger(redirectPort) || redirectPort < 0 || redirectPort > 65535)) {
    throw new ConfigError('redirectPort', `must be an integer 0-65535, got ${String(redirectPort)}`)
  }
  const fields = options.fields ?? { cert: 'certPath', key: 'keyPath' }
  const reloader = new CertificateReloader(server as SecureContextHolder, { certPath: options.certPath, keyPath: options.keyPath }, fields)
  const reload = (): ReloadResult => {
    const result = reloader.reload()
    if (result.ok) fastify.log.info('TLS certificate reloaded')
    else fastify.log.error({ err: result.error }, 'TLS certificate reload refused; the current certificate stays')
    return result
  }

  const redirectServer = redirectPort === undefined ? undefined : createRedirectServer(() => options.publicHttpsPort ?? listeningPort(fastify))
  fastify.decorate('switchyardTls', { reload, redirectServer })

  const signal = options.reloadSignal
  const onSignal = (): void => { reload() }
  if (signal !== undefined) process.on(signal, onSignal)

  if (redirectServer !== undefined) {
    fastify.addHook('onReady', async () => {
      await new Promise<void>((resolve, reject) => {
        redirectServer.once('error', reject)
        redirectServer.listen(redirectPort, options.redirectHost ?? DEFAULT_REDIRECT_HOST, () => {
          redirectServer.off('error', reject)
          resolve()
        })
      })
    })
  }
  fastify.addHook('onClose', async () => {
    if (signal !== undefined) process.off(signal, onSignal)
    if (redirectServer?.listening === true) {
      redirectServer.closeAllConnections()
      await new Promise<void>((resolve) => redirectServer.close(() => resolve()))
    }
  })
}

function listeningPort (fastify: FastifyInstance): number {
  const address = fastify.server.address() as AddressInfo | null
  return address?.port ?? 443
}

/** Register after building Fastify with `httpsServerOptions(…)`. */
export const tlsTermination = fp(tlsPlugin, {
  fastify: '5.x',
  name: 'switchyard-tls'
})
export default tlsTermination
export { readCertificatePair, type CertificateFiles, type CertificatePair, type CertificateFields } from './certificates.js'
export { httpsServerOptions, DEFAULT_MIN_TLS_VERSION, DEFAULT_H2_MAX_CONCURRENT_STREAMS, type HttpsServerOptions, type HttpsTuning } from './server-options.js'
export { CertificateReloader, type ReloadResult } from './reloader.js'
export { createRedirectServer, httpsLocation } from './redirect.js'
