/**
 * A route's own `rateLimit` limits that route only: other routes (and the
 * same client) are unaffected; the window resets.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('per-route limit applies to its route only, and its window resets', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [
      { path: '/limited', pool: 'p', rateLimit: { max: 2, windowMs: 1500 } },
      { path: '/free', pool: 'p' }
    ]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const status = async (path: string): Promise<number> => {
    const res = await fetch(gw.url + path)
    await res.text()
    return res.status
  }
  t.same([await status('/limited/a'), await status('/limited/b'), await status('/limited/c')], [200, 200, 429], '429 after 2 on the limited route')
  const free: number[] = []
  for (let i = 0; i < 10; i++) free.push(await status('/free/x'))
  t.ok(free.every((s) => s === 200), 'the other route is not limited')
  const freeRes = await fetch(gw.url + '/free/x')
  await freeRes.text()
  t.equal(freeRes.headers.get('ratelimit-limit'), null, 'no RateLimit headers on an unlimited route')
  t.equal(backend.hitsByPath.get('/limited/c'), undefined, 'the limited request did not reach the backend')

  await new Promise((resolve) => setTimeout(resolve, 1700))
  t.equal(await status('/limited/d'), 200, 'a new window lets requests through again')
})
