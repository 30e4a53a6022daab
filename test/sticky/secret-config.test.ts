/**
 * The signing secret: checked when configured, random per start (with a
 * warning) when not — then another instance does not honour the cookies.
 */
import t from 'tap'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { startBackends } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { cookiePair, get, startStickyGateway } from '../helpers/sticky.js'
import { pools } from '../../plugins/pools/index.js'
import { loadConfig } from '../../config/index.js'

t.test('no secret: random per start, so two instances reject each other\'s cookies', async (t) => {
  const backends = await startBackends(2)
  const options = { pools: { p: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy', sameSite: 'Lax' } } }, routes: [{ path: '/', pool: 'p' }], stickySecret: null }
  const a = await startStickyGateway(options)
  const b = await startStickyGateway(options)
  t.teardown(async () => { await a.close(); await b.close(); for (const x of backends) await x.stop() })
  const cookie = cookiePair(await get(`${a.url}/`), 'sy') as string
  t.same((await get(`${a.url}/`, cookie)).setCookies, [], 'its issuer honours it')
  const onB = await get(`${b.url}/`, cookie)
  t.equal(onB.status, 200)
  t.ok(cookiePair(onB, 'sy'), 'the other instance replaces it')
  t.not(a.app.switchyard.stickySecret.toString('hex'), b.app.switchyard.stickySecret.toString('hex'))
  t.equal(a.app.switchyard.stickySecret.length, 32)
})

t.test('no secret and a sticky pool: one warning is logged; no sticky pool: none', async (t) => {
  for (const [sticky, expected] of [[true, 1], [false, 0]] as const) {
    const lines: string[] = []
    const stream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
    const app = Fastify({ logger: { level: 'warn', stream } })
    await app.register(pools, { pools: { p: { targets: ['http://127.0.0.1:1'], ...(sticky ? { sticky: { cookie: 'sy', sameSite: 'Lax' } } : {}) } } })
    await app.ready()
    await app.close()
    const warnings = lines.filter((l) => l.includes('GATEWAY_STICKY_SECRET'))
    t.equal(warnings.length, expected, `sticky ${String(sticky)}`)
  }
})

t.test('a short secret stops the start, naming the variable or option', async (t) => {
  t.throws(() => loadConfig({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:1', GATEWAY_STICKY_SECRET: 'too-short' }), { name: 'ConfigError', message: /^GATEWAY_STICKY_SECRET must be at least 16 bytes/ })
  const app = Fastify()
  await t.rejects(async () => { await app.register(pools, { pools: {}, stickySecret: 'short' }).ready() }, { name: 'ConfigError', message: /^stickySecret must be a string of at least 16 bytes/ })
  await app.close()
})

t.test('a bad cookie attribute combination stops the start, naming the pool', async (t) => {
  const backends = await startBackends(1)
  t.teardown(async () => { for (const x of backends) await x.stop() })
  await t.rejects(startStickyGateway({
    pools: { api: { targets: [backends[0]?.url as string], sticky: { cookie: '__Host-sy', sameSite: 'Lax' } } },
    routes: [{ path: '/api', pool: 'api' }]
  }), { name: 'ConfigError', message: /^pools\.api\.sticky .*__Host-/ })
})

t.test('GATEWAY_STICKY_COOKIE turns sticky cookies on for a GATEWAY_UPSTREAMS pool', async (t) => {
  const backends = await startBackends(2)
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backends.map((b) => b.url).join(','), GATEWAY_STICKY_COOKIE: 'sy_env', GATEWAY_STICKY_SECRET: 'x'.repeat(32) })
  t.teardown(async () => { await gw.close(); for (const x of backends) await x.stop() })
  const first = await get(`${gw.url}/`)
  const cookie = cookiePair(first, 'sy_env')
  t.ok(cookie)
  for (let i = 0; i < 5; i++) t.equal((await get(`${gw.url}/`, cookie)).backend, first.backend)
})
