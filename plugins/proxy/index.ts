/**
 * `plugins/proxy`: the forwarding links of the chain — `exchange` (the
 * request counts in its pool's retry budget), `balancer` (pick a target),
 * `upstream` (undici dispatch with a raw handler, retries, timeouts; see
 * forwarder.ts) — the header rules of forwarding (headers.ts), and the
 * WebSocket relay (websocket.ts). The routes that use them are in routes/.
 */
export { ProxyExchange, createExchangeLink, createBalancerLink, createUpstreamLink, upstreamPath } from './forwarder.js'
export { DEFAULT_METHODS, FORWARDABLE_METHODS } from './methods.js'
export { installWebSocketRelay } from './websocket.js'
export { Exchange } from '../../lib/exchange.js'
export { toErrorBody, NoRouteError, NoTargetError, BadGatewayError, GatewayTimeoutError } from '../../lib/errors.js'
export { compileTrust, type TrustProxyOption } from '../../lib/trust.js'
