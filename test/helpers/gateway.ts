/**
 * Gateways for tests: the bundled app built from an environment, or plugins
 * registered on a fresh Fastify instance; both listening on 127.0.0.1:0.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { buildGateway } from '../../app.js'
import { loadConfig, type Env } from '../../config/index.js'
import { pools, type PoolsPluginOptions } from '../../plugins/pools/index.js'
import { gatewayRoutes, type RouteDeclarationInput } from '../../routes/index.js'

export interface TestGateway {
  app: FastifyInstance
  /** `http://127.0.0.1:PORT` of the gateway. */
  url: string
  close: () => Promise<void>
}

/** The bundled app from env vars (admin listener on a free port unless set). */
export async function startAppGateway (env: Env): Promise<TestGateway> {
  const config = loadConfig({ GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'silent', ...env })
  const app = await buildGateway(config, { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: urlOf(app), close: async () => { await app.close() } }
}

/** Plugins only: pools + routes on a bare Fastify instance. */
export async function startPluginGateway (poolOptions: PoolsPluginOptions, routes: RouteDeclarationInput[]): Promise<TestGateway> {
  const app = Fastify()
  await app.register(pools, poolOptions)
  await app.register(gatewayRoutes, { routes })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: urlOf(app), close: async () => { await app.close() } }
}

export function urlOf (app: FastifyInstance): string {
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/** Write a config file into a fresh temp folder and return its path. */
export { writeConfigFile } from './config-file.js'
