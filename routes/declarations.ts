/**
 * Route declarations: which path prefix goes to which pool, and how.
 * The schema is shared by plugin users (`gatewayRoutes`) and the config file.
 */
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from '../lib/validate.js'

const METHOD = StringEnum(['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS', 'TRACE'] as const)

export const RouteDeclarationSchema = Type.Object({
  path: Type.String({ pattern: '^/', description: 'a path prefix starting with / (the longest matching prefix wins)' }),
  pool: Type.String({ minLength: 1, description: 'Name of the pool to forward to.' }),
  stripPrefix: Type.Boolean({ default: false, description: 'Remove the prefix before forwarding.' }),
  methods: Type.Optional(Type.Array(METHOD, { minItems: 1, uniqueItems: true })),
  websocket: Type.Boolean({ default: true, description: 'Proxy WebSocket upgrades.' }),
  cache: Type.Optional(Type.Union([Type.Boolean(), Type.Object({}, { additionalProperties: true })])),
  rateLimit: Type.Optional(Type.Object({
    max: Type.Integer({ minimum: 1 }),
    windowMs: Type.Integer({ minimum: 1, default: 60_000 })
  }, { additionalProperties: true }))
}, { additionalProperties: false })

export const RouteDeclarationsSchema = Type.Array(RouteDeclarationSchema)

/** A route as written (defaults optional). */
export type RouteDeclarationInput = Pick<Static<typeof RouteDeclarationSchema>, 'path' | 'pool'> & Partial<Static<typeof RouteDeclarationSchema>>
/** A route with its defaults filled in. */
export type RouteDeclaration = Static<typeof RouteDeclarationSchema>
