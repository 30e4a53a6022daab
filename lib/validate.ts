/**
 * Validation of options and config against TypeBox schemas, with errors that
 * name the field: `pools.api.balancer must be one of: round-robin, …`.
 */
import { createHash } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox'

/** Thrown for any invalid option, environment variable or config field. */
export class ConfigError extends Error {
  readonly field: string
  constructor (field: string, problem: string) {
    super(`${field} ${problem}`)
    this.name = 'ConfigError'
    this.field = field
  }
}

/** How schemas are compiled, here and at build time (scripts/bundle.mjs). Our TypeBox schemas are not meta-validated: that compile alone cost ~30 % of a start. */
export const AJV_OPTIONS: Options = { allErrors: false, useDefaults: true, coerceTypes: false, strict: false, verbose: true, validateSchema: false }
let ajv: Ajv | undefined
const compiled = new WeakMap<TSchema, ValidateFunction>()
/** Validators compiled at build time, by `schemaKey` (empty when running from source). */
const precompiled = new Map<string, ValidateFunction>()

/** A schema's identity across processes: the hash of its JSON (a changed schema never matches an old build's validator). */
export function schemaKey (schema: TSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('base64url')
}

/**
 * Use validators ajv compiled at build time (ajv standalone code, with
 * AJV_OPTIONS): the bundled start command registers them, so a start
 * generates no validation code. A schema without one is compiled on first use.
 */
export function usePrecompiledValidators (validators: Record<string, ValidateFunction>): void {
  for (const [key, validate] of Object.entries(validators)) precompiled.set(key, validate)
}

/**
 * Check `value` against `schema` (filling defaults in place) and return it typed.
 * `root` names the value in messages, e.g. `pools` or `GATEWAY_CONFIG`.
 */
/** A string schema that accepts one of `values` (an `enum`, so errors list them). */
export function StringEnum<T extends string> (values: readonly T[], options: { default?: T, description?: string } = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options })
}

export function validateWithSchema<S extends TSchema> (schema: S, value: unknown, root: string): Static<S> {
  let validate = compiled.get(schema)
  if (validate === undefined) {
    validate = (precompiled.size > 0 ? precompiled.get(schemaKey(schema)) : undefined) ?? (ajv ??= new Ajv(AJV_OPTIONS)).compile(schema)
    compiled.set(schema, validate)
  }
  if (!validate(value)) {
    const error = (validate.errors as ErrorObject[])[0] as ErrorObject
    throw toConfigError(error, root)
  }
  return value as Static<S>
}

function toConfigError (error: ErrorObject, root: string): ConfigError {
  let field = root + error.instancePath.replace(/\//g, '.').replace(/~1/g, '/').replace(/~0/g, '~')
  const params = error.params as Record<string, unknown>
  let problem = error.message ?? 'is invalid'
  switch (error.keyword) {
    case 'additionalProperties':
      field += '.' + String(params.additionalProperty)
      problem = 'is not a known option'
      break
    case 'required':
      field += '.' + String(params.missingProperty)
      problem = 'is required'
      break
    case 'enum':
      problem = 'must be one of: ' + (params.allowedValues as unknown[]).join(', ')
      break
    case 'pattern': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description
      if (description !== undefined) problem = `must be ${description}, got ${JSON.stringify(error.data)}`
      break
    }
    case 'anyOf':
    case 'oneOf':
      problem = 'has an invalid form'
      break
  }
  return new ConfigError(field, problem)
}

/** An IPv4/IPv6 address or CIDR range (prefix within the family's bits), or `loopback`/`linklocal`/`uniquelocal`. */
export function isIpRange (value: string): boolean {
  if (value === 'loopback' || value === 'linklocal' || value === 'uniquelocal') return true
  const slash = value.indexOf('/')
  const address = slash < 0 ? value : value.slice(0, slash)
  const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0
  if (bits === 0) return false
  if (slash < 0) return true
  const prefix = value.slice(slash + 1)
  if (/^\d{1,3}$/.test(prefix)) return Number(prefix) <= bits
  // proxy-addr also takes an IPv4 netmask (10.0.0.0/255.0.0.0): ones then zeros only.
  if (bits !== 32 || !isIPv4(prefix)) return false
  const mask = prefix.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
  const inverted = 0xffffffff - mask
  return (inverted & (inverted + 1)) === 0
}

/** `on/off`, `true/false`, `1/0` (any case) → boolean; undefined for anything else. */
export function parseBoolean (value: string): boolean | undefined {
  switch (value.trim().toLowerCase()) {
    case 'on': case 'true': case '1': return true
    case 'off': case 'false': case '0': return false
    default: return undefined
  }
}

/** Option names Fastify itself gives meaning to in `register(plugin, options)`. */
const FASTIFY_REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers']

/** A plugin's options may hold only `known` names: a misspelt option would be ignored silently. */
export function refuseUnknownOptions (options: object | undefined, known: readonly string[], plugin: string): void {
  if (options === undefined || options === null) return
  for (const name of Object.keys(options)) {
    if (known.includes(name) || FASTIFY_REGISTER_OPTIONS.includes(name)) continue
    throw new ConfigError(name, `is not an option of ${plugin} (known: ${known.join(', ')})`)
  }
}
