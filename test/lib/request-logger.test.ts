/**
 * Per-request loggers made on first use (lib/request-logger.ts): what a
 * request logs through `request.log` is the line Fastify's own pino child
 * would have written (same `reqId`, same bindings, same levels), a level
 * below the logger's writes nothing, and the access line at `info` still
 * carries the request's id.
 */
import t from 'tap'
import pino from 'pino'
import Fastify from 'fastify'
import { LazyChildLogger, lazyChildLoggerFactory } from '../../lib/request-logger.js'
import { startBackend } from '../helpers/backend.js'
import { buildGateway } from '../../app.js'
import { loadConfig } from '../../config/index.js'
import type { AddressInfo } from 'node:net'

interface Line { level: number, msg: string, reqId?: string, [field: string]: unknown }

function capture (): { lines: Line[], stream: { write: (line: string) => void } } {
  const lines: Line[] = []
  return { lines, stream: { write: (line: string) => { lines.push(JSON.parse(line) as Line) } } }
}

t.test('a lazy child writes what pino\'s child writes, and nothing below the level', async (t) => {
  const eager = capture()
  const lazy = capture()
  const eagerLog = pino({ level: 'warn', base: { app: 'x' }, timestamp: false }, eager.stream)
  const lazyLog = pino({ level: 'warn', base: { app: 'x' }, timestamp: false }, lazy.stream)
  const child = eagerLog.child({ reqId: 'req-7' })
  const standIn = new LazyChildLogger(lazyLog, { reqId: 'req-7' }, undefined)
  for (const log of [child, standIn]) {
    log.info('not written at warn')
    log.debug({ a: 1 }, 'nor this')
    log.warn({ code: 'E1' }, 'written')
    log.error(new Error('boom'), 'with an error')
    log.child({ extra: true }).warn('from a grandchild')
  }
  t.equal(lazy.lines.length, 3, 'three lines at warn or above')
  t.same(lazy.lines.map((l) => ({ ...l, err: undefined })), eager.lines.map((l) => ({ ...l, err: undefined })), 'the same lines, field for field')
  t.equal((lazy.lines[1]?.err as { message?: string } | undefined)?.message, 'boom', 'errors serialised as pino does')
  t.equal(standIn.level, 'warn', 'the level is the parent\'s')
  t.equal(standIn.isLevelEnabled('info'), false, 'info is not enabled, as for the parent')
  t.equal(standIn.isLevelEnabled('error'), true, 'error is')
  t.same(standIn.bindings(), child.bindings(), 'its bindings are the child\'s')
})

t.test('a route\'s own logLevel makes a child at that level', async (t) => {
  const out = capture()
  const app = Fastify({ loggerInstance: pino({ level: 'warn' }, out.stream), childLoggerFactory: lazyChildLoggerFactory })
  app.get('/loud', { logLevel: 'info' }, async (request) => { request.log.info('route info'); return 'ok' })
  app.get('/quiet', async (request) => { request.log.info('dropped'); request.log.warn('kept'); return 'ok' })
  await app.ready()
  t.teardown(() => app.close())
  await app.inject('/loud')
  await app.inject('/quiet')
  const ours = out.lines.filter((l) => l.msg === 'route info' || l.msg === 'kept' || l.msg === 'dropped')
  t.same(ours.map((l) => l.msg), ['route info', 'kept'], 'info on the loud route, warn on the quiet one')
  t.ok(ours.every((l) => typeof l.reqId === 'string' && l.reqId !== ''), 'each with its request id')
  t.not(ours[0]?.reqId, ours[1]?.reqId, 'a different id per request')
})

t.test('the gateway\'s access line at info carries the request id', async (t) => {
  const backend = await startBackend('b')
  const out = capture()
  const app = await buildGateway(loadConfig({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'info' }), { logStream: out.stream })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); await backend.stop() })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  for (let i = 0; i < 2; i++) await (await fetch(`${url}/x`)).text()
  const access = out.lines.filter((l) => l.msg === 'access')
  t.equal(access.length, 2, 'one access line per request')
  t.ok(access.every((l) => typeof l.reqId === 'string'), 'each with a reqId')
  t.not(access[0]?.reqId, access[1]?.reqId, 'ids differ')
})
