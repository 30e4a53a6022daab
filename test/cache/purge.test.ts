import t from 'tap'
import { adminAddress } from '../../plugins/admin/index.js'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('admin DELETE /cache?url= and ?prefix= purge entries; the admin token is required', async (t) => {
  const backend = await scriptedBackend((_req, hit) => ({ headers: { 'cache-control': 'max-age=3600' }, body: `v${hit}` }))
  const gateway = await cachedGateway(t, backend, { GATEWAY_ADMIN_TOKEN: 'sekret' })
  const host = new URL(gateway.url).host
  for (const p of ['/a/1', '/a/2', '/b/1']) await send(gateway.url, p)
  const admin = adminAddress(gateway.app)
  const auth = { authorization: 'Bearer sekret' }
  t.equal((await send(admin, `/cache?url=${encodeURIComponent(`http://${host}/b/1`)}`, { method: 'DELETE' })).status, 401)
  const one = await send(admin, `/cache?url=${encodeURIComponent(`http://${host}/b/1`)}`, { method: 'DELETE', headers: auth })
  t.same(JSON.parse(one.body), { purged: 1 })
  t.match((await send(gateway.url, '/b/1')).headers['cache-status'], /fwd=miss/)
  const prefix = await send(admin, `/cache?prefix=${encodeURIComponent(`http://${host}/a/`)}`, { method: 'DELETE', headers: auth })
  t.same(JSON.parse(prefix.body), { purged: 2 })
  t.match((await send(gateway.url, '/a/1')).headers['cache-status'], /fwd=miss/)
  t.match((await send(gateway.url, '/b/1')).headers['cache-status'], /; hit/)
  t.equal((await send(admin, '/cache', { method: 'DELETE', headers: auth })).status, 400)
})
