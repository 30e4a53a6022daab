/**
 * Route declarations: which path prefix goes to which pool, and how.
 * The schema is shared by plugin users (`gatewayRoutes`) and the config file.
 */
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from '../lib/validate.js'
import { FORWARDABLE_METHODS } from '../plugins/proxy/methods.js'
import { RouteCacheOptionsSchema } from '../plugins/cache/shared.js'

/** An IPv4/IPv6 address or CIDR range, or `loopback`/`linklocal`/`uniquelocal` (checked fully by access-control). */
const IP_RANGE = Type.String({ pattern: '^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(/\\d{1,3})?)$' })
const METHOD = StringEnum(FORWARDABLE_METHODS)

export const RouteDeclarationSchema = Type.Object({
  path: Type.String({ pattern: '^/', description: 'a path prefix starting with / (the longest matching prefix wins)' }),
  pool: Type.String({ minLength: 1, description: 'Name of the pool to forward to.' }),
  stripPrefix: Type.Boolean({ default: false, description: 'Remove the prefix before forwarding.' }),
  methods: Type.Optional(Type.Array(METHOD, { minItems: 1, uniqueItems: true })),
  websocket: Type.Boolean({ default: true, description: 'Proxy WebSocket upgrades.' }),
  cache: Type.Optional(Type.Union([Type.Boolean(), RouteCacheOptionsSchema], { description: 'Response cache (RFC 9111): true, false, or options; default follows GATEWAY_CACHE.' })),
  rateLimit: Type.Optional(Type.Object({
    max: Type.Integer({ minimum: 1, description: 'Requests allowed per window and key.' }),
    windowMs: Type.Integer({ minimum: 1, default: 60_000, description: 'Window length (ms).' }),
    key: Type.Optional(Type.String({ pattern: '^(ip|header:[A-Za-z0-9!#$%&\'*+.^_`|~-]+)$', description: 'What is counted: `ip` (default: client IP, honouring GATEWAY_TRUST_PROXY) or `header:NAME`.' }))
  }, { additionalProperties: false })),
  allow: Type.Optional(Type.Array(IP_RANGE, { description: 'Client addresses/CIDRs allowed; others get 403.' })),
  deny: Type.Optional(Type.Array(IP_RANGE, { description: 'Client addresses/CIDRs refused with 403 (wins over allow).' })),
  bodyLimit: Type.Optional(Type.Integer({ minimum: 0, description: 'Largest request body (bytes); more → 413. Default GATEWAY_BODY_LIMIT_BYTES.' }))
}, { additionalProperties: false })

export const RouteDeclarationsSchema = Type.Array(RouteDeclarationSchema)

/** A route as written (defaults optional). */
export type RouteDeclarationInput = Pick<Static<typeof RouteDeclarationSchema>, 'path' | 'pool'> & Partial<Static<typeof RouteDeclarationSchema>>
/** A route with its defaults filled in. */
export type RouteDeclaration = Static<typeof RouteDeclarationSchema>
