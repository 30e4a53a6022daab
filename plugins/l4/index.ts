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
 * counters to `/status` and `/metrics`.
 */
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { ConfigError, validateWithSchema } from '../../lib/validate.js'
import { compileAccessRules } from '../access-control/ip-list.js'
import type { Pool } from '../pools/pool.js'
import {
  DEFAULT_DRAIN_TIMEOUT_MS, TcpListenersSchema, UdpListenersSchema, listenerPools,
  type TcpListenerInput, type UdpListenerInput
} from './options.js'
import { TcpListener } from './tcp-listener.js'
import { UdpListener } from './udp-listener.js'
import { compileSniRoutes } from './sni.js'

export interface L4PluginOptions {
  /** TCP listeners (SPEC.md "Layer 4"). */
  tcp?: TcpListenerInput[]
  /** UDP listeners. */
  udp?: UdpListenerInput[]
  /** Address of listeners that name no `host`. Default `0.0.0.0`. */
  host?: string
  /** How long closing waits for open TCP connections before cutting them. Default 10 000 ms. */
  drainTimeoutMs?: number
}

const l4Plugin: FastifyPluginAsync<L4PluginOptions> = async (fastify, options) => {
  const tcp = validateWithSchema(TcpListenersSchema, structuredClone(options.tcp ?? []), 'tcp')
  const udp = validateWithSchema(UdpListenersSchema, structuredClone(options.udp ?? []), 'udp')
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS
  if (!Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) throw new ConfigError('drainTimeoutMs', `must be an integer >= 0, got ${String(drainTimeoutMs)}`)
  const defaultHost = options.host ?? '0.0.0.0'
  const registry = fastify.switchyard.pools
  const poolOf = (name: string, field: string, family: 'tcp' | 'udp'): Pool => {
    const pool = registry.get(name)
    if (pool === undefined) throw new ConfigError(field, `"${name}" is not a declared pool`)
    if (pool.family !== family) throw new ConfigError(field, `"${name}" is a ${pool.family} pool: a ${family} listener needs ${family}:// targets`)
    return pool
  }
  for (const { field, pool, family } of listenerPools(tcp, udp, '')) poolOf(pool, field, family)

  const log = fastify.log
  const tcpListeners = tcp.map((config, i) => {
    const sni = config.sni === undefined
      ? undefined
      : { route: compileSniRoutes(config.sni), pools: new Map(Object.values(config.sni).map((name) => [name, poolOf(name, `tcp.${i}.sni`, 'tcp')])) }
    return new TcpListener({
      config,
      pool: poolOf(config.pool, `tcp.${i}.pool`, 'tcp'),
      sni,
      admits: compileAccessRules(config, `tcp.${i}`),
      defaultHost,
      log
    })
  })
  const udpListeners = udp.map((config, i) => new UdpListener({
    config,
    pool: poolOf(config.pool, `udp.${i}.pool`, 'udp'),
    admits: compileAccessRules(config, `udp.${i}`),
    defaultHost,
    log
  }))

  fastify.switchyard.l4 = () => [...tcpListeners.map((l) => l.describe()), ...udpListeners.map((l) => l.describe())]

  fastify.addHook('onReady', async () => {
    for (const listener of tcpListeners) await listener.listen()
    for (const listener of udpListeners) await listener.listen()
    log.info({ tcp: tcpListeners.map((l) => l.address().port), udp: udpListeners.map((l) => l.address().port) }, 'l4 listeners ready')
  })
  // Stop accepting with the HTTP listener; open connections drain until onClose's deadline.
  let draining: Promise<unknown> | undefined
  const drain = (): Promise<unknown> => {
    draining ??= Promise.all([
      ...tcpListeners.map(async (l) => { await l.close(drainTimeoutMs) }),
      ...udpListeners.map(async (l) => { await l.close() })
    ])
    return draining
  }
  fastify.addHook('preClose', (done) => { drain().catch(() => {}); done() })
  fastify.addHook('onClose', async () => { await drain() })
}

export const l4 = fp(l4Plugin, {
  fastify: '5.x',
  name: 'switchyard-l4',
  dependencies: ['switchyard-pools']
})
export default l4
export { TcpListener, type TcpListenerOptions } from './tcp-listener.js'
export { UdpListener, type UdpListenerOptions } from './udp-listener.js'
export { compileSniRoutes, peekServerName, type SniRouter } from './sni.js'
export { buildProxyHeader } from './proxy-header.js'
export {
  TcpListenerSchema, UdpListenerSchema, type TcpListenerConfig, type UdpListenerConfig, type TcpListenerInput, type UdpListenerInput
} from './options.js'
