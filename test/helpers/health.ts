/**
 * Helpers for the health tests: a plugin gateway with `switchyard-health`
 * (and optionally the admin listener), a bounded concurrent load loop, and
 * polling with a deadline.
 */
import Fastify from 'fastify'
import { Agent, request } from 'undici'
import { pools, type PoolsPluginOptions } from '../../plugins/pools/index.js'
import { gatewayRoutes, type RouteDeclarationInput } from '../../routes/index.js'
import { health } from '../../plugins/health/index.js'
import { adminListener } from '../../plugins/admin/index.js'
import { urlOf, type TestGateway } from './gateway.js'

export interface HealthGatewayOptions {
  routes?: RouteDeclarationInput[]
  /** Register the admin listener (port 0) with this token (or none). */
  admin?: { token?: string }
}

/** pools + routes (+ admin) + health on a bare Fastify instance, listening on 127.0.0.1:0. */
export async function startHealthGateway (poolOptions: PoolsPluginOptions, options: HealthGatewayOptions = {}): Promise<TestGateway> {
  const app = Fastify()
  await app.register(pools, poolOptions)
  const first = Object.keys(poolOptions.pools)[0] as string
  await app.register(gatewayRoutes, { routes: options.routes ?? [{ path: '/', pool: first }] })
  if (options.admin !== undefined) {
    await app.register(adminListener, { port: 0, host: '127.0.0.1', ...(options.admin.token !== undefined ? { token: options.admin.token } : {}) })
  }
  await app.register(health)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: urlOf(app), close: async () => { await app.close() } }
}

export interface LoadOutcome {
  /** Count of responses by status (0 = transport error). */
  statuses: Map<number, number>
  completed: number
  latenciesMs: number[]
}

/**
 * `total` GETs of `url` with `concurrency` in flight (keep-alive), bounded by
 * `deadlineMs`. `onProgress(completed)` runs after each response.
 */
export async function runLoad (url: string, total: number, concurrency: number, deadlineMs: number, onProgress?: (completed: number) => void): Promise<LoadOutcome> {
  const agent = new Agent({ connections: concurrency })
  const outcome: LoadOutcome = { statuses: new Map(), completed: 0, latenciesMs: [] }
  const deadline = Date.now() + deadlineMs
  let issued = 0
  const worker = async (): Promise<void> => {
    while (issued < total && Date.now() < deadline) {
      issued++
      const started = performance.now()
      let status = 0
      try {
        const res = await request(url, { dispatcher: agent })
        await res.body.dump()
        status = res.statusCode
      } catch {
        status = 0
      }
      outcome.latenciesMs.push(performance.now() - started)
      outcome.statuses.set(status, (outcome.statuses.get(status) ?? 0) + 1)
      outcome.completed++
      onProgress?.(outcome.completed)
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    await agent.close()
  }
  return outcome
}

/** Poll `check` every `everyMs` until it returns true; returns the ms waited, or -1 after `timeoutMs`. */
export async function waitFor (check: () => boolean, timeoutMs: number, everyMs = 10): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (check()) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  return check() ? Date.now() - started : -1
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
