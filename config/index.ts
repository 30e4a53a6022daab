/**
 * Everything the bundled app needs to start, from the environment (and the
 * config file it points to). Throws a ConfigError naming the first bad field.
 */
import type { PoolConfigInput } from '../plugins/pools/options.js'
import type { RouteDeclarationInput } from '../routes/declarations.js'
import type { TcpListenerInput, UdpListenerInput } from '../plugins/l4/options.js'
import { readEnv, type Env, type GatewayEnv } from './env.js'
import { readConfigFile } from './file.js'
import { ConfigError } from '../lib/validate.js'

export interface GatewayConfig {
  env: GatewayEnv
  pools: Record<string, PoolConfigInput>
  routes: RouteDeclarationInput[]
  /** Layer 4 listeners (config file `tcp`, or `GATEWAY_TCP_PORT` + `GATEWAY_TCP_UPSTREAMS`). */
  tcp: TcpListenerInput[]
  udp: UdpListenerInput[]
  /** Nothing configured: start the built-in demo backends. */
  demo: boolean
}

export function loadConfig (env: Env): GatewayConfig {
  const parsed = readEnv(env)
  let pools: Record<string, PoolConfigInput> = {}
  let routes: RouteDeclarationInput[] = []
  let tcp: TcpListenerInput[] = []
  let udp: UdpListenerInput[] = []
  if (parsed.configPath !== undefined) {
    const file = readConfigFile(parsed.configPath)
    pools = file.pools
    routes = file.routes
    tcp = file.tcp
    udp = file.udp
  } else {
    if (parsed.upstreams !== undefined) {
      pools = { default: { targets: parsed.upstreams } }
      routes = [{ path: '/', pool: 'default' }]
    }
    if (parsed.tcpPort !== undefined && parsed.tcpUpstreams !== undefined) {
      // The one-pool TCP shortcut: GATEWAY_TCP_PORT balances over GATEWAY_TCP_UPSTREAMS.
      pools['tcp-default'] = { targets: parsed.tcpUpstreams }
      tcp = [{ port: parsed.tcpPort, pool: 'tcp-default' }]
    }
  }
  applyEnvDefaults(pools, parsed)
  const healthRoute = parsed.healthRoute
  if (healthRoute !== undefined) {
    const clash = routes.findIndex((route) => route.path.replace(/\/+$/, '') === healthRoute.replace(/\/+$/, ''))
    if (clash >= 0) throw new ConfigError('GATEWAY_HEALTH_ROUTE', `"${healthRoute}" is also the path of GATEWAY_CONFIG.routes.${clash}`)
  }
  return { env: parsed, pools, routes, tcp, udp, demo: parsed.configPath === undefined && parsed.upstreams === undefined && tcp.length === 0 }
}

/** Pool options that the environment sets for every pool that says nothing. */
export function applyEnvDefaults (pools: Record<string, PoolConfigInput>, env: GatewayEnv): void {
  for (const pool of Object.values(pools)) {
    // Sticky cookies and HTTP health paths are for HTTP pools.
    if (typeof pool.targets[0] === 'string' ? !/^https?:/i.test(pool.targets[0]) : !/^https?:/i.test(pool.targets[0]?.url ?? 'http:')) continue
    if (pool.sticky === undefined && env.stickyCookie !== undefined) {
      pool.sticky = { cookie: env.stickyCookie, sameSite: 'Lax' }
    }
    if (pool.health === undefined && env.healthPath !== undefined) {
      pool.health = {
        path: env.healthPath,
        intervalMs: env.healthIntervalMs,
        timeoutMs: Math.min(1000, env.healthIntervalMs),
        healthyThreshold: 2,
        unhealthyThreshold: 2,
        expectStatus: '200-399'
      }
    }
  }
}

export { readEnv, parseTrustProxy, type GatewayEnv, type Env } from './env.js'
export { readConfigFile, ConfigFileSchema, type ConfigFile } from './file.js'
