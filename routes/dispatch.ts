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
import type { RouteTable } from './table.js'

const NOT_ALLOWED = { statusCode: 405, code: 'SWITCHYARD_METHOD_NOT_ALLOWED', message: 'Method not allowed on this route' }
const NO_ROUTE_BODY = toErrorBody(new NoRouteError())

/** The onRequest hook of the dispatcher route for `table`. */
export function createDispatcher (table: RouteTable): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
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
    // Headers an app hook set on the reply (the global rate limit's, say) go out with whatever the route writes.
    const early = reply.getHeaders()
    for (const name in early) reply.raw.setHeader(name, early[name] as string)
    route.stats.requests++
    const exchange = new ProxyExchange(request, reply.raw, route, url, Date.now())
    request.switchyard = exchange
    if (!route.methods.has(request.raw.method as string)) {
      exchange.respondError(NOT_ALLOWED, ['allow', route.allow])
      return
    }
    runChain(exchange, 0)
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
