/**
 * A sticky cookie issued before a reload still pins after it: the pool's
 * target ids stay the same (same URLs), the signing secret is the same, and
 * the reload changes other things (a target added, retries, a new route).
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { adminAddress } from '../../plugins/admin/index.js'

t.test('a cookie from before the reload pins after it', async (t) => {
  const backends = await startBackends(4)
  const urls = backends.map((b) => b.url)
  const sticky = { cookie: 'sy_app', maxAgeSeconds: 3600 }
  const path = writeConfigFile({ pools: { app: { targets: urls.slice(0, 3), sticky } }, routes: [{ path: '/', pool: 'app' }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: path })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })

  const first = await fetch(`${gw.url}/x`)
  const pinned = ((await first.json()) as { backend: string }).backend
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  t.match(cookie, /^sy_app=/, 'a sticky cookie was issued')

  const next = { pools: { app: { targets: urls, sticky, retries: 1 } }, routes: [{ path: '/', pool: 'app' }, { path: '/other', pool: 'app' }] }
  const res = await fetch(`${adminAddress(gw.app)}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) })
  t.equal(res.status, 200)
  t.equal(gw.app.switchyard.pools.get('app')?.targets.length, 4, 'the reload applied')

  for (let i = 0; i < 8; i++) {
    const again = await fetch(`${gw.url}/x`, { headers: { cookie } })
    t.equal(((await again.json()) as { backend: string }).backend, pinned, `request ${i + 1} went to the pinned target`)
    t.equal(again.headers.get('set-cookie'), null, 'and the cookie was accepted as it is (no re-pin)')
  }
})
