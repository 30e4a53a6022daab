/**
 * Admin routes of the whole-config reload (on the admin listener, so its
 * token check applies):
 *   GET  /config          the running config (and environment, secrets redacted)
 *   POST /config/reload   re-read GATEWAY_CONFIG
 *   PUT  /config          apply the JSON body (the config file's shape)
 * An invalid config answers 400 with the error naming the field; nothing changes.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { ConfigError } from '../lib/validate.js'
import { redactEnv, type ConfigReloader, type ReloadResult } from './reload.js'
import type { GatewayEnv } from './env.js'

export function addConfigRoutes (admin: FastifyInstance, reloader: ConfigReloader, env: GatewayEnv): void {
  const answer = async (reply: FastifyReply, reload: () => Promise<ReloadResult>): Promise<FastifyReply> => {
    try {
      return await reply.send(await reload())
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      const status = err.field === 'GATEWAY_CONFIG' && env.configPath === undefined ? 409 : 400
      return await reply.code(status).send({ statusCode: status, error: status === 409 ? 'Conflict' : 'Bad Request', code: 'SWITCHYARD_INVALID_CONFIG', field: err.field, message: err.message })
    }
  }
  admin.get('/config', async () => ({ ...reloader.current, env: redactEnv(env) }))
  admin.post('/config/reload', async (_request, reply) => await answer(reply, async () => await reloader.reloadFile()))
  admin.put('/config', async (request, reply) => await answer(reply, async () => await reloader.replace(request.body)))
}
