/**
 * Switchyard's public API: the plugins a Fastify user registers.
 */
export { pools, PoolRegistry, Pool, Target } from './plugins/pools/index.js'
export type { PoolsPluginOptions, SwitchyardInstance } from './plugins/pools/index.js'
export type { PoolConfig, PoolConfigInput, Balancer, BalancerName, PickContext, TargetCondition } from './plugins/pools/index.js'
export { proxyRoute, Exchange, toErrorBody, NoRouteError, NoTargetError, BadGatewayError, GatewayTimeoutError } from './plugins/proxy/index.js'
export type { ProxyRouteOptions } from './plugins/proxy/index.js'
export { gatewayRoutes } from './routes/index.js'
export type { GatewayRoutesOptions, RouteDeclaration, RouteDeclarationInput } from './routes/index.js'
export { adminListener, adminAddress } from './plugins/admin/index.js'
export { health, HealthChecker, OutlierDetector, RetryBudget } from './plugins/health/index.js'
export type { HealthPluginOptions } from './plugins/health/index.js'
export type { AdminOptions } from './plugins/admin/index.js'
export { ConfigError } from './lib/validate.js'
