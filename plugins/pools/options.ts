/**
 * Pool configuration: the schema (TypeBox) shared by the `pools` plugin's
 * options and the bundled app's config file, with the defaults of SPEC.md.
 */
import { Type, type Static } from '@sinclair/typebox'
import { BALANCER_NAMES } from './balancers/balancer.js'
import { StringEnum } from '../../lib/validate.js'

export const DEFAULT_BALANCER = 'round-robin'
export const DEFAULT_RETRIES = 2
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000
export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000
export const DEFAULT_MAX_CONNECTIONS_PER_TARGET = 1024
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 4_000
export const DEFAULT_DNS_REFRESH_MS = 30_000

const TargetUrl = Type.String({ pattern: '^(https?|tcp|udp)://[^/?#@]+/?$', description: 'an http:// or https:// origin (scheme, host and port, no path), or tcp://host:port or udp://host:port for L4 pools' })

export const TargetSchema = Type.Union([
  TargetUrl,
  Type.Object({
    url: TargetUrl,
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'Relative share of traffic (0 = none). Default 1.' })),
    id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a stable opaque id of 1-64 letters, digits, _ . or -' }))
  }, { additionalProperties: false })
])

export const HEALTH_CHECK_TYPES = ['http', 'tcp'] as const

export const HealthCheckSchema = Type.Object({
  type: Type.Optional(StringEnum(HEALTH_CHECK_TYPES, { description: '`http` (default): GET `path`; `tcp`: a connect that succeeds.' })),
  path: Type.Optional(Type.String({ pattern: '^/', description: 'a path starting with / (required for `type: http`)' })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Probe this port instead of the target\'s.' })),
  intervalMs: Type.Integer({ minimum: 10, default: 5000 }),
  timeoutMs: Type.Integer({ minimum: 1, default: 1000 }),
  healthyThreshold: Type.Integer({ minimum: 1, default: 2 }),
  unhealthyThreshold: Type.Integer({ minimum: 1, default: 2 }),
  expectStatus: Type.String({ pattern: '^[1-5][0-9]{2}(-[1-5][0-9]{2})?$', default: '200-399', description: 'a status or range such as 200-399' })
}, { additionalProperties: false })

export const OutlierSchema = Type.Object({
  consecutiveFailures: Type.Integer({ minimum: 1, default: 5 }),
  ejectionMs: Type.Integer({ minimum: 1, default: 30_000 }),
  maxEjectionMs: Type.Integer({ minimum: 1, default: 300_000 }),
  maxEjectionPercent: Type.Integer({ minimum: 0, maximum: 100, default: 50 }),
  on5xx: Type.Boolean({ default: false, description: 'Count 5xx responses as failures.' })
}, { additionalProperties: false })

export const StickySchema = Type.Object({
  cookie: Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }),
  maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  sameSite: Type.Optional(StringEnum(['Lax', 'Strict', 'None'] as const, { default: 'Lax' }))
}, { additionalProperties: false })

export const PoolConfigSchema = Type.Object({
  targets: Type.Array(TargetSchema, { minItems: 1 }),
  balancer: Type.Optional(StringEnum(BALANCER_NAMES)),
  hashKey: Type.String({ pattern: '^(ip|path|header:[A-Za-z0-9!#$%&\'*+.^_`|~-]+|cookie:[A-Za-z0-9!#$%&\'*+.^_`|~-]+)$', default: 'ip', description: 'ip, path, header:NAME or cookie:NAME' }),
  sticky: Type.Optional(StickySchema),
  health: Type.Optional(HealthCheckSchema),
  outlier: Type.Optional(OutlierSchema),
  retries: Type.Integer({ minimum: 0, maximum: 10, default: DEFAULT_RETRIES }),
  connectTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_CONNECT_TIMEOUT_MS }),
  responseTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_RESPONSE_TIMEOUT_MS }),
  idleTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_IDLE_TIMEOUT_MS, description: 'Longest silence while reading a response body.' }),
  maxConnectionsPerTarget: Type.Integer({ minimum: 1, default: DEFAULT_MAX_CONNECTIONS_PER_TARGET }),
  panic: Type.Boolean({ default: false, description: 'When no target is healthy, spread over all of them instead of answering 503.' }),
  slowStartMs: Type.Integer({ minimum: 0, default: 0 }),
  dnsRefreshMs: Type.Integer({ minimum: 100, default: DEFAULT_DNS_REFRESH_MS, description: 'How often host-name targets are looked up again (ms).' }),
  tls: Type.Optional(Type.Object({
    ca: Type.Optional(Type.String({ description: 'PEM file path of a CA that signs the targets\' certificates.' })),
    rejectUnauthorized: Type.Boolean({ default: true })
  }, { additionalProperties: false }))
}, { additionalProperties: false })

export const PoolsConfigSchema = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }),
  PoolConfigSchema
)

type HealthCheck = Static<typeof HealthCheckSchema>
type Outlier = Static<typeof OutlierSchema>
type Sticky = Static<typeof StickySchema>
type PoolTls = NonNullable<Static<typeof PoolConfigSchema>['tls']>

/** A pool as written in config or plugin options: every field the runtime defaults is optional, nested ones too. */
export type PoolConfigInput = Omit<Partial<Static<typeof PoolConfigSchema>>, 'targets' | 'health' | 'outlier' | 'sticky' | 'tls'> & Pick<Static<typeof PoolConfigSchema>, 'targets'> & {
  /** Active health check: `path` is required, the rest defaults. */
  health?: Pick<HealthCheck, 'path'> & Partial<HealthCheck>
  outlier?: Partial<Outlier>
  sticky?: Pick<Sticky, 'cookie'> & Partial<Sticky>
  tls?: Partial<PoolTls>
}
/** A pool after validation, with every default filled in. */
export type PoolConfig = Static<typeof PoolConfigSchema>
