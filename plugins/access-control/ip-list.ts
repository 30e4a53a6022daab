/**
 * IP allow/deny lists: addresses and CIDR ranges, IPv4 and IPv6 (and the
 * names `loopback`, `linklocal`, `uniquelocal`), matched as `proxy-addr`
 * (and Fastify's `trustProxy`) match them — an IPv4-mapped IPv6 client
 * (`::ffff:10.0.0.1`) matches IPv4 ranges.
 */
import proxyAddr from 'proxy-addr'
import { ConfigError } from '../../lib/validate.js'

/** `(address) => is it in the list`. */
export type IpMatcher = (address: string) => boolean

/** Compile a list; an invalid entry throws a ConfigError naming `field.index`. */
export function compileIpList (entries: readonly string[], field: string): IpMatcher {
  for (const [index, entry] of entries.entries()) {
    try {
      proxyAddr.compile(entry)
    } catch {
      throw new ConfigError(`${field}.${index}`, `must be an IP address or CIDR range (or loopback, linklocal, uniquelocal), got ${JSON.stringify(entry)}`)
    }
  }
  const trust = proxyAddr.compile([...entries])
  return (address) => trust(address, 0)
}

export interface AccessRules {
  /** Only these clients may use the route (empty or absent: everyone). */
  allow?: readonly string[] | undefined
  /** These clients may not use the route; wins over `allow`. */
  deny?: readonly string[] | undefined
}

/**
 * `(address) => may it pass`, or `undefined` when the rules let everyone in.
 * Deny wins: an address in both lists is refused.
 */
export function compileAccessRules (rules: AccessRules, field = ''): ((address: string) => boolean) | undefined {
  const prefix = field === '' ? '' : field + '.'
  const allow = rules.allow !== undefined && rules.allow.length > 0 ? compileIpList(rules.allow, prefix + 'allow') : undefined
  const deny = rules.deny !== undefined && rules.deny.length > 0 ? compileIpList(rules.deny, prefix + 'deny') : undefined
  if (allow === undefined && deny === undefined) return undefined
  return (address) => {
    if (deny !== undefined && deny(address)) return false
    return allow === undefined || allow(address)
  }
}
