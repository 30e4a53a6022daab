/**
 * What `switchyard check` runs (bin/switchyard.ts), like `nginx -t`: the
 * environment and the config file read and validated as a start reads them
 * (`loadConfig`, `checkConfig`), then the gateway built from them without
 * starting it (`buildGateway`: every plugin registered, so the route table's
 * compile runs — each route's links with their options, against the pools —
 * and the L4 listeners' allow lists and SNI maps, the TLS files, … are
 * checked by the same code the start and a reload use). Nothing listens and
 * nothing is left running: the app is closed without ever being ready (no
 * `onReady`: no listener, no health check, no DNS refresh timer), and it is
 * built without Redis (the store a route counts in does not change what
 * compiles). Throws the first ConfigError, naming the field.
 */
import { loadConfig, type Env, type GatewayConfig } from './index.js'
import { checkConfig } from './check.js'

export interface CheckSummary {
  pools: number
  routes: number
  /** L4 listeners (tcp and udp). */
  listeners: number
}

export async function checkGatewayConfig (env: Env): Promise<CheckSummary> {
  const config = loadConfig(env)
  const checked = checkConfig(config)
  const offline: GatewayConfig = {
    ...config,
    env: { ...config.env, redisUrl: undefined, cache: config.env.cache === 'redis' ? 'memory' : config.env.cache }
  }
  const { buildGateway } = await import('../app.js')
  const app = await buildGateway(offline, { logger: false })
  await app.close()
  return { pools: Object.keys(checked.pools).length, routes: checked.routes.length, listeners: config.tcp.length + config.udp.length }
}
