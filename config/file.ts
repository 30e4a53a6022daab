/**
 * The config file named by `GATEWAY_CONFIG`: JSON or YAML with `pools`,
 * `routes` (HTTP) and the Layer 4 listeners `tcp` and `udp`.
 */
import { readFileSync } from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { parse as parseYaml } from 'yaml'
import { ConfigError, validateWithSchema } from '../lib/validate.js'
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
    data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text)
  } catch (err) {
    throw new ConfigError('GATEWAY_CONFIG', `"${path}" is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`)
  }
  const parsed = validateWithSchema(ConfigFileSchema, data, 'GATEWAY_CONFIG')
  if (parsed.routes === undefined && parsed.tcp === undefined && parsed.udp === undefined) {
    throw new ConfigError('GATEWAY_CONFIG.routes', 'is required (unless the file has tcp or udp listeners)')
  }
  const config: ConfigFile = { ...parsed, routes: parsed.routes ?? [], tcp: parsed.tcp ?? [], udp: parsed.udp ?? [] }
  // Each pool speaks one family (http, tcp or udp); routes and L4 listeners name pools of theirs.
  const families = new Map(Object.entries(config.pools).map(([name, pool]) => [name, poolFamily(pool.targets, `GATEWAY_CONFIG.pools.${name}`)]))
  config.routes.forEach((route, i) => {
    const family = families.get(route.pool)
    if (family === undefined) throw new ConfigError(`GATEWAY_CONFIG.routes.${i}.pool`, `"${route.pool}" is not a declared pool`)
    if (family !== 'http') throw new ConfigError(`GATEWAY_CONFIG.routes.${i}.pool`, `"${route.pool}" is a ${family} pool: an HTTP route needs http(s) targets`)
  })
  for (const { field, pool, family } of listenerPools(config.tcp, config.udp, 'GATEWAY_CONFIG.')) {
    const actual = families.get(pool)
    if (actual === undefined) throw new ConfigError(field, `"${pool}" is not a declared pool`)
    if (actual !== family) throw new ConfigError(field, `"${pool}" is a ${actual} pool: a ${family} listener needs ${family}:// targets`)
  }
  return config
}
