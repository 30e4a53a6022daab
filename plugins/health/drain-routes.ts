/**
 * Admin routes that take a target out of rotation by hand and put it back:
 *   POST /targets/:pool/:id/drain    no new requests; in-flight ones finish
 *   POST /targets/:pool/:id/undrain  back in rotation (with slow start)
 * Added to the admin listener, so its token check applies.
 */
import type { FastifyInstance } from 'fastify'
import type { PoolRegistry, Target } from '../pools/index.js'
import type { HealthLogger } from './logger.js'

interface TargetParams {
  pool: string
  id: string
}

export interface DrainAnswer {
  pool: string
  id: string
  condition: string
  draining: boolean
  inFlight: number
}

export function addDrainRoutes (admin: FastifyInstance, pools: PoolRegistry, log: HealthLogger): void {
  const find = (params: TargetParams): { poolName: string, target: Target, slowStartMs: number } | undefined => {
    const pool = pools.get(params.pool)
    const target = pool?.findTarget(params.id)
    if (pool === undefined || target === undefined) return undefined
    return { poolName: pool.name, target, slowStartMs: pool.config.slowStartMs }
  }
  const answer = (poolName: string, target: Target): DrainAnswer =>
    ({ pool: poolName, id: target.id, condition: target.condition, draining: target.draining, inFlight: target.inFlight })
  const notFound = { statusCode: 404, error: 'Not Found', message: 'No such pool or target' }

  admin.post<{ Params: TargetParams }>('/targets/:pool/:id/drain', async (request, reply) => {
    const found = find(request.params)
    if (found === undefined) return await reply.code(404).send(notFound)
    const { poolName, target } = found
    if (!target.draining) {
      target.draining = true
      target.setReason('draining (admin API)')
      log.info({ pool: poolName, target: target.id, inFlight: target.inFlight }, 'target draining')
    }
    return answer(poolName, target)
  })

  admin.post<{ Params: TargetParams }>('/targets/:pool/:id/undrain', async (request, reply) => {
    const found = find(request.params)
    if (found === undefined) return await reply.code(404).send(notFound)
    const { poolName, target, slowStartMs } = found
    if (target.draining) {
      target.draining = false
      target.startRamp(Date.now(), slowStartMs)
      target.setReason('undrained (admin API)')
      log.info({ pool: poolName, target: target.id }, 'target back in rotation after draining')
    }
    return answer(poolName, target)
  })
}
