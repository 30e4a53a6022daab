/**
 * The gateway's security headers, framework-free: helmet options that suit a
 * gateway in front of someone else's application, a CSP given as a header
 * value, the HSTS value, and which headers helmet sets.
 */
import helmet, { type HelmetOptions } from 'helmet'
import { ConfigError } from '../../lib/validate.js'

/** One year, helmet's and the preload list's usual value. */
export const DEFAULT_HSTS_MAX_AGE_SECONDS = 31_536_000

export interface HstsOptions {
  /** Seconds; 0 = no HSTS. */
  maxAgeSeconds: number
  includeSubDomains?: boolean
  preload?: boolean
}

/**
 * Helmet options for a gateway. Off by default, because they change what a
 * proxied application may do and only its owner knows whether that is wanted:
 * CSP (unless `csp` is given), Cross-Origin-Embedder/Opener/Resource-Policy.
 * HSTS is not helmet's here: it is sent per request, over TLS only.
 * `Referrer-Policy` is the browsers' own default, so nothing a page relied on breaks.
 */
export function gatewayHelmetOptions (csp: string | undefined, field = 'csp'): HelmetOptions {
  return {
    contentSecurityPolicy: csp === undefined ? false : { useDefaults: false, directives: parseCsp(csp, field) },
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' }
  }
}

/** `"default-src 'self'; img-src *"` → helmet directives. */
export function parseCsp (policy: string, field = 'csp'): Record<string, string[]> {
  const directives: Record<string, string[]> = {}
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/)
    if (name === undefined || name === '') continue
    if (!/^[a-z-]+$/i.test(name)) throw new ConfigError(field, `has an invalid directive name "${name}"`)
    directives[name.toLowerCase()] = values
  }
  if (Object.keys(directives).length === 0) throw new ConfigError(field, 'must name at least one directive')
  return directives
}

/**
 * The headers `options` make helmet set, with their values, found by running
 * helmet once on a stub response. Helmet's headers depend only on its
 * options, so they are computed here once instead of per request. This also
 * checks the options (helmet throws on bad ones) at registration.
 */
export function helmetHeaders (options: HelmetOptions, field = 'csp'): Array<[name: string, value: string]> {
  const headers = new Map<string, string>()
  const stub = {
    setHeader: (name: string, value: string | number | string[]) => { headers.set(name.toLowerCase(), String(value)) },
    removeHeader: (name: string) => { headers.delete(name.toLowerCase()) }
  }
  try {
    helmet(options)({} as never, stub as never, () => {})
  } catch (err) {
    throw new ConfigError(field, `is not accepted by helmet: ${(err as Error).message}`)
  }
  return [...headers]
}

/** The names of the headers `options` make helmet set. */
export function helmetHeaderNames (options: HelmetOptions, field = 'csp'): string[] {
  return helmetHeaders(options, field).map(([name]) => name)
}

/** The `Strict-Transport-Security` value, or undefined when HSTS is off. */
export function hstsValue (options: HstsOptions): string | undefined {
  if (options.maxAgeSeconds <= 0) return undefined
  return `max-age=${options.maxAgeSeconds}` +
    (options.includeSubDomains !== false ? '; includeSubDomains' : '') +
    (options.preload === true ? '; preload' : '')
}
