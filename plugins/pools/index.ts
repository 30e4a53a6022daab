/**
 * `switchyard-pools`: the registry of upstream pools.
 *
 * Place in the request chain: none of its own; it decorates the instance with
 * `fastify.switchyard.pools`, which routes (`switchyard-proxy`) forward to and
 * health tracking watches. Closes every pool's connections on close.
 */
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { validateWithSchema } from '../../lib/validate.js'
import { PoolRegistry } from './registry.js'
import { PoolsConfigSchema, type PoolConfigInput } from './options.js'
import { BALANCER_NAMES, type BalancerName } from './balancers/index.js'
import { ConfigError, refuseUnknownOptions } from '../../lib/validate.js'
import { resolveStickySecret } from '../../lib/sticky-secret.js'
import type { L4StatusSource } from '../../lib/l4-status.js'
import { createAddressLookup } from './host-resolver.js'

export interface PoolsPluginOptions {
  /** Pools by name, each with its targets and options (see SPEC.md). */
  pools: Record<string, PoolConfigInput>
  /** Algorithm of the pools that name none. Default `round-robin`. */
  defaultBalancer?: BalancerName
  /**
   * Key that signs sticky cookies (≥ 16 bytes); every instance that must honour
   * another's cookies needs the same. Default: random per start, with a warning
   * when a pool uses sticky cookies.
   */
  stickySecret?: string
  /**
   * DNS servers (`address` or `address:port`) that host-name targets are
   * resolved with. Default: the system resolver (`/etc/hosts`, then
   * `/etc/resolv.conf`).
   */
  dnsServers?: string[]
}

/** The gateway's shared objects, decorated on the Fastify instance. */
export interface SwitchyardInstance {
  pools: PoolRegistry
  /** Key that signs this gateway's sticky cookies. */
  stickySecret: Buffer
  /** The L4 listeners' counters, set by `switchyard-l4` when registered (read by `/status`, `/metrics`). */
  l4?: L4StatusSource
}

declare module 'fastify' {
  interface FastifyInstance {
    switchyard: SwitchyardInstance
  }
}

const poolsPlugin: FastifyPluginAsync<PoolsPluginOptions> = async (fastify, options) => {
  refuseUnknownOptions(options, ['pools', 'defaultBalancer', 'stickySecret', 'dnsServers'], 'switchyard-pools')
  if (options.defaultBalancer !== undefined && !BALANCER_NAMES.includes(options.defaultBalancer)) {
    throw new ConfigError('defaultBalancer', `must be one of: ${BALANCER_NAMES.join(', ')}`)
  }
  const configs = validateWithSchema(PoolsConfigSchema, structuredClone(options.pools ?? {}), 'pools')
  if (options.dnsServers !== undefined && (!Array.isArray(options.dnsServers) || options.dnsServers.some((s) => typeof s !== 'string' || s === ''))) {
    throw new ConfigError('dnsServers', 'must be a list of addresses (`127.0.0.1` or `127.0.0.1:5353`)')
  }
  let lookup
  try {
    lookup = createAddressLookup(options.dnsServers)
  } catch (err) {
    throw new ConfigError('dnsServers', (err as Error).message)
  }
  const registry = new PoolRegistry(configs, {
    ...(options.defaultBalancer !== undefined ? { defaultBalancer: options.defaultBalancer } : {}),
    lookup,
    log: fastify.log
  })
  // Host-name targets are resolved before anything is served; then again every `dnsRefreshMs`.
  await registry.refreshHosts()
  fastify.addHook('onReady', async () => { registry.start() })
  const anySticky = Object.values(configs).some((config) => config.sticky !== undefined)
  const stickySecret = resolveStickySecret(options.stickySecret, anySticky, fastify.log)
  fastify.decorate('switchyard', { pools: registry, stickySecret })
  fastify.addHook('onClose', async () => { await registry.close() })
}

export const pools = fp(poolsPlugin, { fastify: '5.x', name: 'switchyard-pools' })
export default pools
export { PoolRegistry } from './registry.js'
export { Pool, type OutcomeObserver, type PoolOptions } from './pool.js'
export { HostResolver, createAddressLookup, type AddressLookup, type HostResolution } from './host-resolver.js'
export { Target } from './target.js'
export type { TargetCondition, TargetOptions } from './target.js'
export type { PoolConfig, PoolConfigInput } from './options.js'
export type { Balancer, BalancerName, PickContext } from './balancers/index.js'
