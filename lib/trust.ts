/**
 * Which peers are trusted proxies whose `X-Forwarded-*` headers we keep:
 * the same forms as Fastify's `trustProxy` (boolean, hop count, CIDR list).
 */
import proxyAddr from 'proxy-addr'

export type TrustProxyOption = boolean | number | string | string[]

/** `(address, hop) => trusted`, as proxy-addr compiles it. */
export type TrustFunction = (address: string, hop: number) => boolean

export function compileTrust (option: TrustProxyOption | undefined): TrustFunction {
  if (option === undefined || option === false) return () => false
  if (option === true) return () => true
  if (typeof option === 'number') return (_address, hop) => hop < option
  const list = typeof option === 'string' ? option.split(',').map((s) => s.trim()).filter((s) => s !== '') : option
  return proxyAddr.compile(list)
}
