/**
 * The config file named by `GATEWAY_CONFIG`: JSON or YAML with `pools`,
 * `routes` (HTTP) and the Layer 4 listeners `tcp` and `udp`.
 */
import { readFileSync } from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { createRequire } from 'node:module'
import { ConfigError, isIpRange, validateWithSchema } from '../lib/validate.js'
import { PoolsConfigSchema } from '../plugins/pools/options.js'
import { poolFamily } from '../plugins/pools/pool.js'
import { RouteDeclarationsSchema } from '../routes/declarations.js'
import { TcpListenersSchema, UdpListenersSchema, listenerPools } from '../plugins/l4/options.js'

export const ConfigFileSchema = Type.Object({
  pools: PoolsConfigSchema,
  routes: Type.Optional(RouteDeclarationsSchema),
  tcp: Type.Optional(TcpListenersSchema),
  udp: Type.Optional(UdpListenersSchema)
}, { additionalProperties: false })

export type ConfigFile = Omit<Static<typeof ConfigFileSchema>, 'routes' | 'tcp' | 'udp'> &
  Required<Pick<Static<typeof ConfigFileSchema>, 'routes' | 'tcp' | 'udp'>>

export function readConfigFile (path: string): ConfigFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError('GATEWAY_CONFIG', `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  let data: unknown
  try {
    // The YAML parser loads only for YAML files.
    data = /\.ya?ml$/i.test(path) ? (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text) : JSON.parse(text)
  } catch (err) {
    throw new ConfigError('GATEWAY_CONFIG', `"${path}" is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`)
  }
  checkRouteFields(data)
  const parsed = validateWithSchema(ConfigFileSchema, data, 'GATEWAY_CONFIG')
  if (parsed.routes === undefined && parsed.tcp === undefined && parsed.udp === undefined) {
    throw new ConfigError('GATEWAY_CONFIG.routes', 'is required (unless the file has tcp or udp listeners)')
  }
  const config: ConfigFile = { ...parsed, routes: parsed.routes ?? [], tcp: parsed.tcp ?? [], udp: parsed.udp ?? [] }
  // Each pool speaks one family (http, tcp or udp); routes and L4 listeners name pools of theirs.
  const families = new Map(Object.entries(config.pools).map(([name, pool]) => [name, poolFamily(pool.targets, `GATEWAY_CONFIG.pools.${name}`)]))
  const paths = new Map<string, number>()
  config.routes.forEach((route, i) => {
    const family = families.get(route.pool)
    if (family === undefined) throw new ConfigError(`GATEWAY_CONFIG.routes.${i}.pool`, `"${route.pool}" is not a declared pool`)
    if (family !== 'http') throw new ConfigError(`GATEWAY_CONFIG.routes.${i}.pool`, `"${route.pool}" is a ${family} pool: an HTTP route needs http(s) targets`)
    const path = route.path.length > 1 ? route.path.replace(/\/+$/, '') : route.path
    const first = paths.get(path)
    if (first !== undefined) throw new ConfigError(`GATEWAY_CONFIG.routes.${i}.path`, `"${route.path}" is declared twice (also GATEWAY_CONFIG.routes.${first}.path)`)
    paths.set(path, i)
  })
  for (const { field, pool, family } of listenerPools(config.tcp, config.udp, 'GATEWAY_CONFIG.')) {
    const actual = families.get(pool)
    if (actual === undefined) throw new ConfigError(field, `"${pool}" is not a declared pool`)
    if (actual !== family) throw new ConfigError(field, `"${pool}" is a ${actual} pool: a ${family} listener needs ${family}:// targets`)
  }
  for (const [name, pool] of Object.entries(config.pools)) checkDistinctTargets(pool.targets, `GATEWAY_CONFIG.pools.${name}.targets`)
  return config
}

/**
 * Route fields whose schema message would be a regular expression: checked
 * first, on the raw data, with messages that say what is expected.
 */
function checkRouteFields (data: unknown): void {
  const routes = (data as { routes?: unknown } | null)?.routes
  if (!Array.isArray(routes)) return
  routes.forEach((route: unknown, i) => {
    if (route === null || typeof route !== 'object') return
    const { allow, deny, rateLimit } = route as { allow?: unknown, deny?: unknown, rateLimit?: unknown }
    for (const [name, list] of [['allow', allow], ['deny', deny]] as const) {
      if (!Array.isArray(list)) continue
      list.forEach((entry: unknown, j) => {
        if (typeof entry !== 'string' || !isIpRange(entry)) {
          throw new ConfigError(`GATEWAY_CONFIG.routes.${i}.${name}.${j}`, `must be an IP address or CIDR range (e.g. "10.0.0.0/8", "::1") or loopback, linklocal, uniquelocal; got ${JSON.stringify(entry)}`)
        }
      })
    }
    const key = (rateLimit as { key?: unknown } | null | undefined)?.key
    if (key !== undefined && (typeof key !== 'string' || !RATE_LIMIT_KEY.test(key))) {
      throw new ConfigError(`GATEWAY_CONFIG.routes.${i}.rateLimit.key`, `must be "ip" or "header:NAME" (e.g. "header:x-api-key"), got ${JSON.stringify(key)}`)
    }
  })
}

const RATE_LIMIT_KEY = /^(ip|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+)$/

/** Two targets with the same URL or the same id would be one target counted twice. */
export function checkDistinctTargets (targets: ReadonlyArray<string | { url: string, id?: string | undefined }>, field: string): void {
  const urls = new Map<string, number>()
  const ids = new Map<string, number>()
  targets.forEach((target, j) => {
    const url = typeof target === 'string' ? target : target.url
    const normal = url.toLowerCase().replace(/\/+$/, '')
    const sameUrl = urls.get(normal)
    if (sameUrl !== undefined) throw new ConfigError(`${field}.${j}`, `"${url}" is listed twice (also ${field}.${sameUrl})`)
    urls.set(normal, j)
    const id = typeof target === 'string' ? undefined : target.id
    if (id === undefined) return
    const sameId = ids.get(id)
    if (sameId !== undefined) throw new ConfigError(`${field}.${j}.id`, `"${id}" is the id of ${field}.${sameId} too`)
    ids.set(id, j)
  })
}
