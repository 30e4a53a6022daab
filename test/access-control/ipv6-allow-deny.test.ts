/**
 * Per-route IPv6 allow/deny lists, with the gateway listening on ::1
 * (loopback only) and clients connecting from ::1.
 */
import t from 'tap'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildGateway } from '../../app.js'
import { loadConfig } from '../../config/index.js'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/gateway.js'

async function getV6 (port: number, path: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '::1', family: 6, port, path }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('IPv6 allow and deny lists', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [
      { path: '/v6-loopback', pool: 'p', allow: ['::1/128'] },
      { path: '/v6-range', pool: 'p', allow: ['::/64'] },
      { path: '/v6-ula', pool: 'p', allow: ['fd00::/8'] },
      { path: '/v4-only', pool: 'p', allow: ['127.0.0.0/8'] },
      { path: '/v6-denied', pool: 'p', deny: ['::1'] },
      { path: '/named', pool: 'p', allow: ['loopback'] }
    ]
  })
  const app = await buildGateway(loadConfig({ GATEWAY_CONFIG: config, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'silent' }), { logger: false })
  await app.listen({ host: '::1', port: 0 })
  t.teardown(async () => { await app.close(); await backend.stop() })
  const port = (app.server.address() as AddressInfo).port

  t.equal(await getV6(port, '/v6-loopback/x'), 200, '::1 in ::1/128')
  t.equal(await getV6(port, '/v6-range/x'), 200, '::1 in ::/64')
  t.equal(await getV6(port, '/named/x'), 200, '::1 is loopback')
  t.equal(await getV6(port, '/v6-ula/x'), 403, '::1 not in fd00::/8')
  t.equal(await getV6(port, '/v4-only/x'), 403, 'an IPv6 client does not match IPv4 ranges')
  t.equal(await getV6(port, '/v6-denied/x'), 403, 'denied IPv6 address')
  t.same([...backend.hitsByPath.keys()].sort(), ['/named/x', '/v6-loopback/x', '/v6-range/x'], 'refused requests reached no backend')
})
