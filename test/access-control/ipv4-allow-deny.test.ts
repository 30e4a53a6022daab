/**
 * Per-route IPv4 allow/deny lists (addresses and CIDR ranges): a refused
 * client gets 403 in the gateway's error format and reaches no backend.
 * Deny wins over allow.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('IPv4 allow and deny lists', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [
      { path: '/open', pool: 'p' },
      { path: '/loopback-only', pool: 'p', allow: ['127.0.0.0/8'] },
      { path: '/office-only', pool: 'p', allow: ['10.0.0.0/8', '192.168.1.7'] },
      { path: '/blocked', pool: 'p', deny: ['127.0.0.1'] },
      { path: '/both', pool: 'p', allow: ['127.0.0.0/8'], deny: ['127.0.0.1/32'] },
      { path: '/deny-other', pool: 'p', deny: ['10.0.0.0/8'] }
    ]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const get = async (path: string): Promise<{ status: number, body: unknown }> => {
    const res = await fetch(gw.url + path)
    const text = await res.text()
    return { status: res.status, body: res.status === 403 ? JSON.parse(text) : undefined }
  }
  t.equal((await get('/open/x')).status, 200, 'no lists: open')
  t.equal((await get('/loopback-only/x')).status, 200, '127.0.0.1 is in 127.0.0.0/8')
  t.equal((await get('/deny-other/x')).status, 200, 'not in the deny list: passes')
  const office = await get('/office-only/x')
  t.equal(office.status, 403, '127.0.0.1 is not in the allow list')
  t.same(office.body, { statusCode: 403, code: 'SWITCHYARD_ACCESS_DENIED', error: 'Forbidden', message: 'Access to this route is not allowed from your address' })
  t.equal((await get('/blocked/x')).status, 403, 'denied address')
  t.equal((await get('/both/x')).status, 403, 'deny wins over allow')
  t.same([...backend.hitsByPath.keys()].sort(), ['/deny-other/x', '/loopback-only/x', '/open/x'], 'refused requests reached no backend')
})

t.test('an invalid range is refused at start, naming the field', async (t) => {
  const config = writeConfigFile({
    pools: { p: { targets: ['http://127.0.0.1:9'] } },
    routes: [{ path: '/', pool: 'p', allow: ['10.0.0.0/33'] }]
  })
  await t.rejects(startAppGateway({ GATEWAY_CONFIG: config }), /allow\.0 must be an IP address or CIDR range/)
  const malformed = writeConfigFile({
    pools: { p: { targets: ['http://127.0.0.1:9'] } },
    routes: [{ path: '/', pool: 'p', deny: ['office'] }]
  })
  await t.rejects(startAppGateway({ GATEWAY_CONFIG: malformed }), /routes\.0\.deny\.0/)
})
