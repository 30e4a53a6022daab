/**
 * Which request methods a route forwards. A gateway forwards what the
 * backend understands, including WebDAV and other extension methods, as
 * nginx does: every method Node's HTTP parser accepts but CONNECT (a tunnel,
 * not a request to forward).
 */
import { METHODS } from 'node:http'
import type { FastifyInstance, HTTPMethods } from 'fastify'

export const FORWARDABLE_METHODS = METHODS.filter((method) => method !== 'CONNECT') as HTTPMethods[]

/** A route's default: every forwardable method but TRACE (it echoes the request: cross-site tracing). */
export const DEFAULT_METHODS = FORWARDABLE_METHODS.filter((method) => method !== 'TRACE')

/** Teach Fastify's router the extension methods it doesn't route by default (once per app). */
export function routeAllForwardableMethods (fastify: FastifyInstance): void {
  const known = new Set(fastify.supportedMethods)
  for (const method of FORWARDABLE_METHODS) {
    if (!known.has(method)) fastify.addHttpMethod(method, { hasBody: true })
  }
}
