/**
 * The access log line (one per request, at `info`): the fields operators
 * grep for, in pino's JSON next to its `time`, `level` and `reqId`.
 *
 *   client   the client address (after trusted proxies / PROXY protocol)
 *   method, path, status
 *   bytes    response body bytes the gateway wrote (before compression), when known
 *   ms       total time in the gateway
 *   pool, target   the pool and the target id that served it (never its address)
 *   upstreamMs     time to the upstream's response head (-1: no upstream response)
 *   cache    the cache outcome (hit, miss, stale, …) on cached routes
 *   retries, pickedBy   how the target was chosen
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

export interface AccessLogFields {
  client: string
  method: string
  path: string
  status: number
  bytes: number | undefined
  ms: number
  pool?: string | undefined
  target?: string | undefined
  upstreamMs?: number | undefined
  cache?: string | undefined
  retries?: number | undefined
  pickedBy?: string | undefined
}

export function accessLogFields (request: FastifyRequest, reply: FastifyReply): AccessLogFields {
  const exchange = request.switchyard
  const length = reply.raw.getHeader('content-length')
  const fields: AccessLogFields = {
    client: request.ip,
    method: request.method,
    path: request.url,
    status: reply.statusCode,
    bytes: exchange !== null ? exchange.bytesSent : length === undefined ? undefined : Number(length),
    ms: Math.round(reply.elapsedTime * 10) / 10
  }
  if (exchange !== null) {
    fields.pool = exchange.pool.name
    fields.target = exchange.target?.id
    fields.upstreamMs = exchange.upstreamMs
    fields.cache = exchange.cacheStatus
    fields.retries = exchange.retries
    fields.pickedBy = exchange.pickedBy
  }
  return fields
}
