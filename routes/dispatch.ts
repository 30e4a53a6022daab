/**
 * The route dispatcher: one Fastify route (`/*`, every forwardable method)
 * whose route-level onRequest hook looks the path up in the route table,
 * takes the response over (`reply.hijack()`: no body parsing, no onSend
 * chain) and runs the matched route's links (`runChain`). An app's own
 * Fastify routes are more specific and win; root onRequest hooks of the app
 * (authentication, say) run before the gateway's.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { NoRouteError, toErrorBody } from '../lib/errors.js'
import type { Exchange } from '../lib/exchange.js'
import type { Link } from '../lib/link.js'
import { ProxyExchange } from '../plugins/proxy/forwarder.js'
import { hasDuplicateHost } from '../plugins/request-hygiene/host.js'
import type { RouteTable } from './table.js'

const NOT_ALLOWED = { statusCode: 405, code: 'SWITCHYARD_METHOD_NOT_ALLOWED', message: 'Method not allowed on this route' }
const NO_ROUTE_BODY = toErrorBody(new NoRouteError())
const DUPLICATE_HOST = { statusCode: 400, code: 'SWITCHYARD_DUPLICATE_HOST', message: 'The request has more than one Host header' }

/** The onRequest hook of the dispatcher route for `table`. */
export function createDispatcher (table: RouteTable): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  const heldHeaders = heldHeadersReader()
  return function dispatchToRoute (request, reply) {
    const url = request.raw.url as string
    const q = url.indexOf('?')
    const route = table.match(q === -1 ? url : url.slice(0, q))
    if (route === undefined) {
      // Not ours: the app's not-found handler (the bundled app's answers the gateway's 404 body).
      reply.callNotFound()
      return
    }
    reply.hijack()
    // Headers an app hook set on the reply (the global rate limit's, say) go out with whatever the
    // route writes. Those set on `reply.raw` are there already; those Fastify holds are copied.
    const held = heldHeaders(reply)
    for (const name in held) reply.raw.setHeader(name, held[name] as string)
    route.stats.requests++
    const exchange = new ProxyExchange(request, reply.raw, route, url, Date.now())
    request.switchyard = exchange
    if (hasDuplicateHost(request.raw.rawHeaders)) {
      // RFC 9112 §3.2: a request with more than one Host is invalid (nginx, HAProxy: 400). Before any link.
      exchange.respondError(DUPLICATE_HOST)
      return
    }
    if (!route.methods.has(request.raw.method as string)) {
      exchange.respondError(NOT_ALLOWED, ['allow', route.allow])
      return
    }
    runChain(exchange, 0)
  }
}

/**
 * The headers Fastify holds on `reply` until it sends (`reply.header()`), read
 * without `reply.getHeaders()`, which copies them and the raw response's into
 * two new objects per request. Fastify keeps them under its own symbol; when a
 * Fastify version has no such symbol, `getHeaders()` is used.
 */
function heldHeadersReader (): (reply: FastifyReply) => Record<string, unknown> {
  /** Fastify's symbol for them (a constant of the library, found on the first request); `null` when absent. */
  let key: symbol | null | undefined
  return (reply) => {
    if (key === undefined) key = Object.getOwnPropertySymbols(reply).find((symbol) => symbol.description === 'fastify.reply.headers') ?? null
    if (key === null) return reply.getHeaders()
    return (reply as unknown as Record<symbol, Record<string, unknown>>)[key] as Record<string, unknown>
  }
}

/** Run the request halves of `exchange`'s links from index `from` until one answers. */
export function runChain (exchange: Exchange, from: number): void {
  const links = exchange.route.links
  for (let i = from; i < links.length; i++) {
    const request = (links[i] as Link).request
    if (request === undefined) continue
    exchange.linkIndex = i
    let pending: void | Promise<void>
    try {
      pending = request(exchange)
    } catch (err) {
      failed(exchange, err)
      return
    }
    if (exchange.answered) return
    if (pending !== undefined) {
      pending.then(() => { if (!exchange.answered) runChain(exchange, i + 1) }, (err: unknown) => { failed(exchange, err) })
      return
    }
  }
}

/** A link threw: log it (never to the client) and answer 500 if nothing was sent yet. */
function failed (exchange: Exchange, err: unknown): void {
  exchange.request.log.error({ err }, 'gateway link failed')
  exchange.release()
  if (!exchange.answered) exchange.respondError({ statusCode: 500 })
  else exchange.res.destroy()
}

export { NO_ROUTE_BODY }
