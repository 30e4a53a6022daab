/**
 * The rate-limit Redis client logs an outage once when it starts and once
 * when Redis is back — not once per request or per reconnection attempt.
 */
import t from 'tap'
import { createRateLimitRedis } from '../../plugins/rate-limit/index.js'
import { startRedis } from '../helpers/redis.js'
import type { FastifyBaseLogger } from 'fastify'

t.test('outage: one warning, then one info line when Redis is back', async (t) => {
  const redis = await startRedis()
  const lines: Array<{ level: string, msg: string }> = []
  const record = (level: string) => (...args: unknown[]) => { lines.push({ level, msg: String(args.find((a) => typeof a === 'string')) }) }
  const log = { warn: record('warn'), info: record('info'), error: record('error'), debug: () => {}, trace: () => {}, fatal: record('fatal') } as unknown as FastifyBaseLogger
  const client = await createRateLimitRedis(redis.url, log)
  t.teardown(async () => { await client.close(); await redis.stop() })

  const until = async (check: () => boolean, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms
    while (Date.now() < deadline && !check()) await new Promise((resolve) => setTimeout(resolve, 50))
    return check()
  }
  t.ok(await until(() => client.client.status === 'ready', 5000), 'connected')
  t.equal(lines.length, 0, 'nothing logged while all is well')

  await redis.stop()
  t.ok(await until(() => lines.length > 0, 5000), 'the outage is logged')
  // Several reconnection attempts happen meanwhile (100 ms, 200 ms, …).
  await new Promise((resolve) => setTimeout(resolve, 1200))
  t.same(lines.map((l) => l.level), ['warn'], 'logged once, however many attempts failed')
  t.match(lines[0]?.msg, /unavailable/)

  await redis.start()
  t.ok(await until(() => lines.length > 1, 8000), 'the recovery is logged')
  t.same(lines.map((l) => l.level), ['warn', 'info'])
  t.match(lines[1]?.msg, /back/)
})
