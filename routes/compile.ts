/**
 * Route compilation: a validated route declaration and its pool become a
 * `RouteEntry` of the route table, with the links of `CHAIN` that have work
 * on that route. Compiling has no side effect on live traffic, so a reload
 * can compile a whole new table, and give up, before anything changes.
 */
import type { FastifyInstance } from 'fastify'
import { ConfigError } from '../lib/validate.js'
import type { ChainEntry, Link, RouteFacts } from '../lib/link.js'
import type { TrustFunction } from '../lib/trust.js'
import type { Pool } from '../plugins/pools/index.js'
import { DEFAULT_METHODS, FORWARDABLE_METHODS } from '../plugins/proxy/methods.js'
import { createUpstreamFetcher } from '../plugins/proxy/forwarder.js'
import { CHAIN } from './chain.js'
import { newRouteStats, underPrefix, type RouteEntry } from './table.js'
import type { RouteDeclaration } from './declarations.js'

export interface CompileOptions {
  /** Peers whose `X-Forwarded-*` are believed. */
  trust: TrustFunction
  /** Field naming the route in errors (`GATEWAY_CONFIG.routes.2`). */
  field: string
  /** The chain (tests may pass another). Default `CHAIN`. */
  chain?: readonly ChainEntry[]
}

/** Compile one route. Throws ConfigError naming the field on bad options. */
export function compileRoute (app: FastifyInstance, declaration: RouteDeclaration, pool: Pool, options: CompileOptions): RouteEntry {
  const prefix = validatePrefix(declaration.path, `${options.field}.path`)
  const methods = declaration.methods ?? DEFAULT_METHODS
  methods.forEach((method, i) => {
    if (!FORWARDABLE_METHODS.includes(method as never)) throw new ConfigError(`${options.field}.methods.${i}`, `is not a method the gateway forwards: "${method}"`)
  })
  let slots = 0
  const stripPrefix = declaration.stripPrefix ?? false
  const facts: RouteFacts = {
    prefix,
    pool,
    stripPrefix,
    declaration: declaration as unknown as Record<string, unknown>,
    trust: options.trust,
    field: options.field,
    allocateSlot: () => slots++,
    fetchUpstream: createUpstreamFetcher({ pool, prefix, stripPrefix, trust: options.trust })
  }
  const links: Link[] = []
  const filters: Link[] = []
  const closers: Array<() => void> = []
  for (const entry of options.chain ?? CHAIN) {
    const link = entry.create(app, facts)
    if (link === undefined) continue
    if (entry.filter === true) filters.push(link)
    else links.push(link)
    if (link.close !== undefined) closers.push(link.close)
  }
  return {
    prefix,
    under: underPrefix(prefix),
    pool,
    stripPrefix: facts.stripPrefix,
    methods: new Set(methods),
    allow: methods.join(', '),
    websocket: declaration.websocket ?? true,
    links,
    filters,
    slotCount: slots,
    stats: newRouteStats(),
    close: () => { for (const close of closers) close() }
  }
}

/** A route prefix: absolute, whole segments, no dot-segments, no wildcard; a trailing `/` is dropped. */
export function validatePrefix (path: unknown, field: string): string {
  if (typeof path === 'string' && path.includes('*')) {
    throw new ConfigError(field, `is a path prefix, not a pattern: write "${path.replace(/\/?\*.*$/, '') || '/'}" to match it and everything under it, got ${JSON.stringify(path)}`)
  }
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~!$&'()+,;=:@%/-]*$/.test(path) || path.includes('//') || /(^|\/)\.\.?(\/|$)/.test(path)) {
    throw new ConfigError(field, `must be an absolute path prefix such as "/api", got ${JSON.stringify(path)}`)
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
