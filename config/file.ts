/**
 * The config file named by `GATEWAY_CONFIG`: JSON or YAML with `pools` and `routes`.
 */
import { readFileSync } from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { createRequire } from 'node:module'
import { ConfigError, validateWithSchema } from '../lib/validate.js'
import { PoolsConfigSchema } from '../plugins/pools/options.js'
import { RouteDeclarationsSchema } from '../routes/declarations.js'

export const ConfigFileSchema = Type.Object({
  pools: PoolsConfigSchema,
  routes: RouteDeclarationsSchema
}, { additionalProperties: false })

export type ConfigFile = Static<typeof ConfigFileSchema>

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
  const config = validateWithSchema(ConfigFileSchema, data, 'GATEWAY_CONFIG')
  const pools = new Set(Object.keys(config.pools))
  config.routes.forEach((route, i) => {
    if (!pools.has(route.pool)) throw new ConfigError(`GATEWAY_CONFIG.routes.${i}.pool`, `"${route.pool}" is not a declared pool`)
  })
  return config
}
