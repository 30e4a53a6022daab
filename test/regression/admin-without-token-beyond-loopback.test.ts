/**
 * Regression (issue 10, item 8): bound beyond loopback without a token, the
 * admin listener started silently and served `/status` (backend addresses)
 * and drain to anyone. Now the start is refused, naming both variables; the
 * plugin refuses it too. And the `Bearer` scheme is accepted in any case.
 */
import t from 'tap'
import Fastify from 'fastify'
import { loadConfig } from '../../config/index.js'
import { ConfigError } from '../../lib/validate.js'
import { pools } from '../../plugins/pools/index.js'
import { adminListener, adminAddress } from '../../plugins/admin/index.js'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { spawnApp } from '../app/spawn.js'

t.test('GATEWAY_ADMIN_HOST beyond loopback without GATEWAY_ADMIN_TOKEN: the start is refused', async (t) => {
  for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
    t.throws(() => loadConfig({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:3001', GATEWAY_ADMIN_HOST: host }),
      { name: 'ConfigError', message: /^GATEWAY_ADMIN_HOST .*GATEWAY_ADMIN_TOKEN/ }, `${host} refused, naming both variables`)
  }
  for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
    t.doesNotThrow(() => loadConfig({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:3001', GATEWAY_ADMIN_HOST: host }), `${host} is loopback: no token needed`)
  }
  t.doesNotThrow(() => loadConfig({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:3001', GATEWAY_ADMIN_HOST: '0.0.0.0', GATEWAY_ADMIN_TOKEN: 'a-long-token' }), 'with a token it starts')
})

t.test('the process exits 1 with one line naming both variables', async (t) => {
  const app = spawnApp({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:3001', GATEWAY_ADMIN_HOST: '0.0.0.0', PORT: '0', GATEWAY_ADMIN_PORT: '0' })
  t.teardown(() => { app.child.kill('SIGKILL') })
  t.equal(await app.exited, 1)
  t.match(app.stderr(), /invalid configuration: GATEWAY_ADMIN_HOST .*GATEWAY_ADMIN_TOKEN/)
})

t.test('the admin plugin refuses host beyond loopback without token', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(pools, { pools: { p: { targets: ['http://127.0.0.1:3001'] } } })
  await t.rejects(async () => { await app.register(adminListener, { host: '0.0.0.0', port: 0 }) }, ConfigError)
})

t.test('the Bearer scheme is case-insensitive', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_ADMIN_TOKEN: 's3cret-token' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const admin = adminAddress(gw.app)
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    const res = await fetch(`${admin}/status`, { headers: { authorization: `${scheme} s3cret-token` } })
    await res.text()
    t.equal(res.status, 200, `${scheme} accepted`)
  }
  for (const value of ['Basic s3cret-token', 'Bearer', 'Bearer s3cret-tokenX', 'Bearers3cret-token']) {
    const res = await fetch(`${admin}/status`, { headers: { authorization: value } })
    await res.text()
    t.equal(res.status, 401, `"${value}" refused`)
  }
})
