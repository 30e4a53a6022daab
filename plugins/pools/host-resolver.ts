/**
 * Targets by host name: a target URL whose host is a name
 * (`http://api.internal:8080`) stands for every address the name resolves
 * to. `HostResolver` tracks one such name: it looks the name up (at start and
 * every `dnsRefreshMs`, driven by the pool), keeps the last good address set
 * when a lookup fails, and logs a failure once (then once on recovery), so a
 * flapping DNS server does not flood the log. The pool turns each address
 * into a target (see `Pool.refreshHosts`). Framework-free.
 *
 * Lookups use `node:dns`: by default the system's resolver (`lookup` with
 * `all: true`, so `/etc/hosts` and `localhost` work as everywhere else);
 * with `servers` set, a `dns.promises.Resolver` asking those servers only
 * (A and AAAA records), e.g. a service-discovery DNS or a test's own server.
 */
import { promises as dns } from 'node:dns'
import { isIP } from 'node:net'
import { createHash } from 'node:crypto'

/** Resolve a host name to its addresses (IPv4 and IPv6, no duplicates, sorted). Rejects when it has none. */
export type AddressLookup = (hostname: string) => Promise<string[]>

/** The part of a pino logger the resolver uses. */
export interface ResolverLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

/** How long one query to a configured DNS server may take before it is retried/failed. */
export const DNS_QUERY_TIMEOUT_MS = 2_000
/** Attempts per query to a configured DNS server. */
export const DNS_QUERY_TRIES = 2

/** `true` for `127.0.0.1`, `[::1]`, `::1`: a host that needs no lookup. */
export function isIpLiteral (hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return isIP(bare) !== 0
}

/**
 * The lookup function: the system resolver, or (with `servers`, each
 * `address` or `address:port`) a resolver that asks only those servers.
 */
export function createAddressLookup (servers?: readonly string[]): AddressLookup {
  if (servers === undefined || servers.length === 0) {
    return async (hostname) => {
      const found = await dns.lookup(hostname, { all: true, verbatim: true })
      return normalize(found.map((entry) => entry.address), hostname)
    }
  }
  const resolver = new dns.Resolver({ timeout: DNS_QUERY_TIMEOUT_MS, tries: DNS_QUERY_TRIES })
  resolver.setServers([...servers])
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)])
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value : []),
      ...(v6.status === 'fulfilled' ? v6.value : [])
    ]
    if (addresses.length === 0) {
      // Both failed (or returned nothing): report the IPv4 error, the more telling one (ENOTFOUND, ESERVFAIL, ETIMEOUT).
      if (v4.status === 'rejected') throw v4.reason
      if (v6.status === 'rejected') throw v6.reason
    }
    return normalize(addresses, hostname)
  }
}

function normalize (addresses: string[], hostname: string): string[] {
  const unique = [...new Set(addresses)].sort()
  if (unique.length === 0) throw Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENODATA' })
  return unique
}

/** A stable id for the target that one address of a host name stands for: the same name and address give the same id. */
export function deriveHostTargetId (configured: URL, address: string, explicitId?: string): string {
  const digest = createHash('sha256').update(`${configured.href}\n${address}`).digest('hex')
  return explicitId === undefined ? digest.slice(0, 12) : `${explicitId}-${digest.slice(0, 8)}`
}

/** The origin of one address behind a configured URL: same scheme and port, the address as host. */
export function addressOrigin (configured: URL, address: string): string {
  const host = isIP(address) === 6 ? `[${address}]` : address
  return `${configured.protocol}//${host}${configured.port !== '' ? ':' + configured.port : ''}`
}

export interface HostResolverOptions {
  /** The host name to look up (`api.internal`). */
  hostname: string
  lookup: AddressLookup
  /** Pool name, for logs. */
  poolName: string
  log?: ResolverLogger
}

/** What `/status` shows of one host name. */
export interface HostResolution {
  hostname: string
  /** The last good address set (kept while lookups fail). */
  addresses: readonly string[]
  /** Epoch ms of the last successful lookup; 0 = none yet. */
  resolvedAt: number
  /** The error of the last lookup when it failed (e.g. `ENOTFOUND`), else undefined. */
  error: string | undefined
}

export class HostResolver implements HostResolution {
  readonly hostname: string
  addresses: readonly string[] = []
  resolvedAt = 0
  error: string | undefined = undefined
  private readonly options: HostResolverOptions

  constructor (options: HostResolverOptions) {
    this.options = options
    this.hostname = options.hostname
  }

  /**
   * Look the name up once. Returns the address set to use: the new one, or
   * the last good one when the lookup failed. Never rejects.
   */
  async refresh (now = Date.now()): Promise<readonly string[]> {
    const { log, poolName } = this.options
    try {
      const found = await this.options.lookup(this.hostname)
      if (this.error !== undefined) {
        log?.info({ pool: poolName, host: this.hostname, addresses: found }, 'host name resolves again')
      }
      this.error = undefined
      this.addresses = found
      this.resolvedAt = now
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      if (this.error === undefined) {
        log?.warn({ pool: poolName, host: this.hostname, code, keptAddresses: this.addresses }, 'host name lookup failed: keeping the last good addresses')
      }
      this.error = code
    }
    return this.addresses
  }
}
