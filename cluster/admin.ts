/**
 * The admin listener of a cluster, in the primary (workers open none):
 * `/health` answers itself; `/status` and `/metrics` ask every worker over
 * IPC and merge (`status-merge.ts`; prom-client's `AggregatorRegistry.aggregate`
 * for the metrics, each metric with its `aggregator`); every other admin
 * route (drain/undrain a target, cache purge, …) is forwarded to each
 * worker's admin routes, so it acts on all of them, and answered with the
 * first worker's response (or 502 with all of them when they disagree).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { AggregatorRegistry } from 'prom-client'
import { createTokenCheck } from '../plugins/admin/token.js'
import { sendStatus } from '../plugins/admin/status.js'
import type { SharedHealthState } from '../plugins/health/shared-state.js'
import type { ForwardedAdminRequest, ForwardedAdminResponse, WorkerReport } from './ipc.js'
import { mergeStatus, type WorkerSummary } from './status-merge.js'

export interface ClusterAdminOptions {
  port: number
  host: string
  token: string | undefined
  log: FastifyBaseLogger
  /** Each live worker's report (`undefined` when it did not answer in time). */
  collect: () => Promise<Array<{ worker: WorkerSummary, report: WorkerReport | undefined }>>
  /** The primary's active-check state by pool and target id. */
  health: () => ReadonlyMap<string, ReadonlyMap<string, SharedHealthState>>
  /** Send an admin request to every worker; their answers. */
  forward: (request: ForwardedAdminRequest) => Promise<ForwardedAdminResponse[]>
}

export async function startClusterAdmin (options: ClusterAdminOptions): Promise<FastifyInstance> {
  const admin = Fastify({ loggerInstance: options.log.child({ listener: 'admin' }), logController: new LogController({ disableRequestLogging: true }) })
  const authorized = createTokenCheck(options.token)
  admin.addHook('onRequest', async (request, reply) => {
    if (request.url === '/health') return
    if (!authorized(request.headers.authorization)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ statusCode: 401, error: 'Unauthorized', message: 'Admin token required' })
    }
  })
  admin.get('/health', async () => ({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }))
  admin.get('/status', async (request, reply) => {
    const collected = await options.collect()
    const reports = collected.flatMap(({ report }) => report === undefined ? [] : [report])
    // As in one process: with an ETag, as the status page polls with If-None-Match.
    return await sendStatus(request, reply, JSON.stringify(mergeStatus(reports, options.health(), collected.map(({ worker }) => worker))))
  })
  admin.get('/metrics', async (_request, reply) => {
    const collected = await options.collect()
    const registry = AggregatorRegistry.aggregate(collected.flatMap(({ report }) => report === undefined ? [] : [report.metrics]))
    return reply.type(registry.contentType).send(await registry.metrics())
  })

  // Bodies are forwarded as they came.
  admin.removeAllContentTypeParsers()
  admin.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
  admin.all('/*', async (request, reply) => {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value
    const answers = await options.forward({ method: request.method, url: request.url, headers, body: typeof request.body === 'string' ? request.body : undefined })
    const first = answers[0]
    if (first === undefined) return await reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'No worker answered' })
    if (answers.some((answer) => answer.statusCode !== first.statusCode)) {
      return await reply.code(502).send({ statusCode: 502, error: 'Bad Gateway', message: 'Workers answered differently', workers: answers.map(parseAnswer) })
    }
    if (first.contentType !== undefined) reply.header('content-type', first.contentType)
    return await reply.code(first.statusCode).send(first.body)
  })

  await admin.listen({ port: options.port, host: options.host })
  return admin
}

function parseAnswer (answer: ForwardedAdminResponse): { statusCode: number, body: unknown } {
  try {
    return { statusCode: answer.statusCode, body: JSON.parse(answer.body) as unknown }
  } catch {
    return { statusCode: answer.statusCode, body: answer.body }
  }
}
