/**
 * Everything the bundled app needs to start, from the environment (and the
 * config file it points to). Throws a ConfigError naming the first bad field.
 */
import type { PoolConfigInput } from '../plugins/pools/options.js'
import type { RouteDeclarationInput } from '../routes/declarations.js'
import { readEnv, type Env, type GatewayEnv } from './env.js'
import { readConfigFile } from './file.js'
import { ConfigError } from '../lib/validate.js'

export interface GatewayConfig {
  env: GatewayEnv
  pools: Record<string, PoolConfigInput>
  routes: RouteDeclarationInput[]
  /** Nothing configured: start the built-in demo backends. */
  demo: boolean
}

export function loadConfig (env: Env): GatewayConfig {
  const parsed = readEnv(env)
  let pools: Record<string, PoolConfigInput> = {}
  let routes: RouteDeclarationInput[] = []
  if (parsed.configPath !== undefined) {
    const file = readConfigFile(parsed.configPath)
    pools = file.pools
    routes = file.routes
  } else if (parsed.upstreams !== undefined) {
    pools = { default: { targets: parsed.upstreams } }
    routes = [{ path: '/', pool: 'default' }]
  }
  applyEnvDefaults(pools, parsed)
  const healthRoute = parsed.healthRoute
  if (healthRoute !== undefined) {
    const clash = routes.findIndex((route) => route.path.replace(/\/+$/, '') === healthRoute.replace(/\/+$/, ''))
    if (clash >= 0) throw new ConfigError('GATEWAY_HEALTH_ROUTE', `"${healthRoute}" is also the path of GATEWAY_CONFIG.routes.${clash}`)
  }
  return { env: parsed, pools, routes, demo: parsed.configPath === undefined && parsed.upstreams === undefined }
}

/** Pool options that the environment sets for every pool that says nothing. */
export function applyEnvDefaults (pools: Record<string, PoolConfigInput>, env: GatewayEnv): void {
  for (const pool of Object.values(pools)) {
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
