/**
 * `switchyard-l4`: Layer 4 listeners — `tcp` (byte streams, optional TLS
 * passthrough by SNI and PROXY protocol to targets) and `udp` (datagram
 * sessions) — over the same pools, balancers and health checks as the HTTP
 * routes (SPEC.md "Layer 4").
 *
 * Place in the request chain: none; it is a chain of its own beside HTTP.
 * It reads the pools' targets (selection by `Pool.pickTargetByKey`), writes
 * their `inFlight`/`requests`/`failures` and reports connect failures to
 * `Pool.outlier` as the HTTP upstream link does. Listeners start on
 * `onReady`; on close they stop accepting at `preClose` and wait for open
 * connections up to `drainTimeoutMs`. `fastify.switchyard.l4` gives their
 * counters to `/status` and `/metrics`; `fastify.switchyard.l4Listeners` is
 * the set (listener-set.ts) that a whole-config reload reconciles.
 */
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { ConfigError } from '../../lib/validate.js'
import { DEFAULT_DRAIN_TIMEOUT_MS, type TcpListenerInput, type UdpListenerInput } from './options.js'
import { L4ListenerSet, prepareListeners } from './listener-set.js'

declare module '../pools/index.js' {
  interface SwitchyardInstance {
    /** The L4 listeners, which a whole-config reload reconciles (set by `switchyard-l4`, or by the first reload that brings listeners). */
    l4Listeners?: L4ListenerSet
  }
}

export interface L4PluginOptions {
  /** TCP listeners (SPEC.md "Layer 4"). */
  tcp?: TcpListenerInput[]
  /** UDP listeners. */
  udp?: UdpListenerInput[]
  /** Address of listeners that name no `host`. Default `0.0.0.0`. */
  host?: string
  /** How long closing (or a reload that removes a listener) waits for open TCP connections before cutting them. Default 10 000 ms. */
  drainTimeoutMs?: number
  /** Root of field names in errors: '' (`tcp.0.pool`) or ending with a dot (`GATEWAY_CONFIG.`). Default ''. */
  field?: string
}

const l4Plugin: FastifyPluginAsync<L4PluginOptions> = async (fastify, options) => {
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS
  if (!Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) throw new ConfigError('drainTimeoutMs', `must be an integer >= 0, got ${String(drainTimeoutMs)}`)
  const defaultHost = options.host ?? '0.0.0.0'
  const registry = fastify.switchyard.pools
  const specs = prepareListeners(options.tcp ?? [], options.udp ?? [], options.field ?? '', (name) => registry.get(name), defaultHost)
  const log = fastify.log
  const listeners = new L4ListenerSet({ defaultHost, drainTimeoutMs, log })
  listeners.initialize(specs)
  fastify.switchyard.l4Listeners = listeners
  fastify.switchyard.l4 = () => listeners.describe()

  fastify.addHook('onReady', async () => {
    await listeners.listen()
    log.info({ listeners: listeners.describe().map((l) => `${l.protocol} ${l.address}`) }, 'l4 listeners ready')
  })
  // Stop accepting with the HTTP listener; open connections drain until onClose's deadline.
  fastify.addHook('preClose', (done) => { listeners.close().catch(() => {}); done() })
  fastify.addHook('onClose', async () => { await listeners.close() })
}

export const l4 = fp(l4Plugin, {
  fastify: '5.x',
  name: 'switchyard-l4',
  dependencies: ['switchyard-pools']
})
export default l4
export { TcpListener, type TcpListenerOptions } from './tcp-listener.js'
export { L4ListenerSet, prepareListeners, type ListenerSpec, type L4Plan, type L4Change, type PoolLookup } from './listener-set.js'
export { UdpListener, type UdpListenerOptions } from './udp-listener.js'
export { compileSniRoutes, peekServerName, type SniRouter } from './sni.js'
export { buildProxyHeader } from './proxy-header.js'
export {
  TcpListenerSchema, UdpListenerSchema, type TcpListenerConfig, type UdpListenerConfig, type TcpListenerInput, type UdpListenerInput
} from './options.js'
