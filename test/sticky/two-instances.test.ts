/**
 * Two bundled-app instances with the same GATEWAY_STICKY_SECRET and config
 * honour each other's cookies; /status of each counts its sticky hits.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { adminAddress } from '../../plugins/admin/index.js'
import { cookiePair, get, STICKY_SECRET } from '../helpers/sticky.js'

t.test('a cookie issued by instance A pins the same backend on instance B', async (t) => {
  const backends = await startBackends(3)
  const configPath = writeConfigFile({
    pools: { api: { targets: backends.map((b) => b.url), balancer: 'round-robin' } },
    routes: [{ path: '/api', pool: 'api' }]
  })
  // Sticky turned on for every pool by GATEWAY_STICKY_COOKIE.
  const env = { GATEWAY_CONFIG: configPath, GATEWAY_STICKY_COOKIE: 'sy_shared', GATEWAY_STICKY_SECRET: STICKY_SECRET }
  const a = await startAppGateway(env)
  const b = await startAppGateway(env)
  t.teardown(async () => { await a.close(); await b.close(); for (const x of backends) await x.stop() })

  // Issue a few cookies on A (round-robin spreads them), then use each on B.
  for (let i = 0; i < 3; i++) {
    const first = await get(`${a.url}/api/x`)
    const cookie = cookiePair(first, 'sy_shared')
    if (cookie === undefined) throw new Error('instance A set no cookie')
    const onB = new Set<string>()
    for (let j = 0; j < 10; j++) {
      const answer = await get(`${b.url}/api/y`, cookie)
      t.equal(answer.status, 200)
      t.same(answer.setCookies, [], 'B accepts A\'s cookie as it is')
      onB.add(answer.backend ?? '?')
    }
    t.same([...onB], [first.backend], `cookie ${i}: B sends it to ${first.backend ?? '?'} like A did`)
  }

  const status = await fetch(`${adminAddress(b.app)}/status`)
  const body = await status.json() as { pools: Array<{ name: string, sticky?: Record<string, unknown> }> }
  t.same(body.pools.find((p) => p.name === 'api')?.sticky, { cookie: 'sy_shared', hits: 30, pins: 0, repins: 0, rejected: 0 }, 'B counted 30 hits')
  const statusA = await (await fetch(`${adminAddress(a.app)}/status`)).json() as typeof body
  t.same(statusA.pools.find((p) => p.name === 'api')?.sticky, { cookie: 'sy_shared', hits: 0, pins: 3, repins: 0, rejected: 0 }, 'A issued 3 cookies')
})
