/**
 * Whole-config validation without side effects: what `switchyard check` runs
 * and what a reload runs before it changes anything. On top of the schema
 * (already applied by `readConfigFile`), it checks what the plugins would
 * refuse at registration: cross-references (a route's pool, an L4 listener's
 * pool, each of the right family), duplicate route paths, route path forms,
 * health status ranges, readable CA files, sticky cookie attributes, IP lists.
 * Throws the first ConfigError, naming the field under `root`
 * (`GATEWAY_CONFIG` for the file, `config` for an admin body).
 *
 * What only building the routes finds (their links' options) is checked by
 * compiling them: the reload compiles against the live pools, `switchyard
 * check` builds the gateway without starting it (`checkGatewayConfig`, config/check-gateway.ts).
 */
import { readFileSync } from 'node:fs'
import { ConfigError, validateWithSchema } from '../lib/validate.js'
import { PoolsConfigSchema, type PoolConfig, type PoolConfigInput } from '../plugins/pools/options.js'
import { RouteDeclarationsSchema, type RouteDeclaration, type RouteDeclarationInput } from '../routes/declarations.js'
import { createCookieSerializer, type SameSite } from '../plugins/sticky/cookie.js'
import { compileIpList } from '../plugins/access-control/ip-list.js'
import { poolFamily } from '../plugins/pools/pool.js'
import { listenerPools, type TcpListenerInput, type UdpListenerInput } from '../plugins/l4/options.js'

/** What a valid config contains, with every default filled in (copies: the input is not changed). */
export interface CheckedConfig {
  pools: Record<string, PoolConfig>
  routes: RouteDeclaration[]
  /** What each pool's targets speak (`http`, `tcp`, `udp`). */
  families: Map<string, ReturnType<typeof poolFamily>>
}

/** Same form as the proxy route's own check (plugins/proxy): an absolute prefix, no dot-segments. */
const ROUTE_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/

export interface ConfigToCheck {
  pools: Record<string, PoolConfigInput>
  routes: RouteDeclarationInput[]
  tcp?: readonly TcpListenerInput[] | undefined
  udp?: readonly UdpListenerInput[] | undefined
}

export function checkConfig (config: ConfigToCheck, root = 'GATEWAY_CONFIG'): CheckedConfig {
  const pools = validateWithSchema(PoolsConfigSchema, structuredClone(config.pools), `${root}.pools`)
  const routes = validateWithSchema(RouteDeclarationsSchema, structuredClone(config.routes), `${root}.routes`)
  for (const [name, pool] of Object.entries(pools)) checkPool(pool, `${root}.pools.${name}`)
  // Each pool speaks one family (http, tcp or udp); routes and L4 listeners name pools of theirs.
  const families = new Map(Object.entries(pools).map(([name, pool]) => [name, poolFamily(pool.targets, `${root}.pools.${name}`)]))
  for (const { field, pool, family } of listenerPools(config.tcp ?? [], config.udp ?? [], `${root}.`)) {
    const actual = families.get(pool)
    if (actual === undefined) throw new ConfigError(field, `"${pool}" is not a declared pool`)
    if (actual !== family) throw new ConfigError(field, `"${pool}" is a ${actual} pool: a ${family} listener needs ${family}:// targets`)
  }
  const seen = new Set<string>()
  routes.forEach((route, i) => {
    const field = `${root}.routes.${i}`
    if (!ROUTE_PATH.test(route.path) || route.path.includes('//') || /(^|\/)\.\.?(\/|$)/.test(route.path)) {
      throw new ConfigError(`${field}.path`, `must be an absolute path prefix such as "/api", got ${JSON.stringify(route.path)}`)
    }
    const key = route.path.length > 1 ? route.path.replace(/\/$/, '') : route.path
    if (seen.has(key)) throw new ConfigError(`${field}.path`, `"${route.path}" is declared twice`)
    seen.add(key)
    const pool = pools[route.pool]
    if (pool === undefined) throw new ConfigError(`${field}.pool`, `"${route.pool}" is not a declared pool`)
    const family = families.get(route.pool)
    if (family !== 'http') throw new ConfigError(`${field}.pool`, `"${route.pool}" is a ${String(family)} pool: an HTTP route needs http(s) targets`)
    if (pool.sticky !== undefined) {
      try {
        createCookieSerializer({ name: pool.sticky.cookie, path: key, sameSite: (pool.sticky.sameSite ?? 'Lax') as SameSite, ...(pool.sticky.maxAgeSeconds !== undefined ? { maxAgeSeconds: pool.sticky.maxAgeSeconds } : {}) })
      } catch (err) {
        throw new ConfigError(`${root}.pools.${route.pool}.sticky`, (err as Error).message)
      }
    }
    if (route.allow !== undefined) compileIpList(route.allow, `${field}.allow`)
    if (route.deny !== undefined) compileIpList(route.deny, `${field}.deny`)
  })
  return { pools, routes, families }
}

function checkPool (pool: PoolConfig, field: string): void {
  if (pool.health !== undefined) {
    const [low, high = low] = pool.health.expectStatus.split('-').map(Number)
    if (low === undefined || high === undefined || low > high) {
      throw new ConfigError(`${field}.health.expectStatus`, `must be a status or a low-high range such as "200-399", got "${pool.health.expectStatus}"`)
    }
  }
  if (pool.tls?.ca !== undefined) {
    try {
      readFileSync(pool.tls.ca)
    } catch (err) {
      throw new ConfigError(`${field}.tls.ca`, `cannot read "${pool.tls.ca}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    }
  }
}
