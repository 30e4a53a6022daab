/**
 * What `/status` and `GET /config` show of a config: routes as configured
 * (until the core counts per route), and the whole config with its secrets
 * redacted.
 */
import type { RouteDeclarationInput } from '../routes/declarations.js'

export interface ConfiguredRoute {
  path: string
  pool: string
  stripPrefix: boolean
  cache: boolean
  rateLimit: { max: number, windowMs: number } | null
  methods: string[] | null
}

export function describeConfiguredRoutes (routes: readonly RouteDeclarationInput[]): ConfiguredRoute[] {
  return routes.map((route) => ({
    path: route.path,
    pool: route.pool,
    stripPrefix: route.stripPrefix ?? false,
    cache: route.cache !== undefined && route.cache !== false,
    rateLimit: route.rateLimit === undefined ? null : { max: route.rateLimit.max, windowMs: route.rateLimit.windowMs ?? 60_000 },
    methods: route.methods ?? null
  }))
}
