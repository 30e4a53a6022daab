/**
 * GATEWAY_PROXY_PROTOCOL=on: the client address in a v1 or v2 header from a
 * trusted peer is the one the gateway uses: the backend sees it in
 * X-Forwarded-For, allow lists and rate limits apply to it, and a header
 * with another address is another client.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { connectWithHeader, getOver, proxyV1, proxyV2 } from '../helpers/proxy-protocol.js'
import type { AddressInfo } from 'node:net'

t.test('v1 and v2 client addresses reach X-Forwarded-For, allow/deny and rate limits', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [
      { path: '/office', pool: 'p', allow: ['203.0.113.0/24'] },
      { path: '/limited', pool: 'p', rateLimit: { max: 2, windowMs: 60_000 } },
      { path: '/', pool: 'p' }
    ]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_PROXY_PROTOCOL: 'on', GATEWAY_TRUST_PROXY: '127.0.0.1' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = (gw.app.server.address() as AddressInfo).port

  const get = async (header: Buffer | string, path: string, headers?: Record<string, string>): Promise<{ status: number, xff: string | undefined }> => {
    const res = await getOver(await connectWithHeader(port, header), path, headers)
    const xff = res.status === 200 ? (JSON.parse(res.body) as { headers: Record<string, string> }).headers['x-forwarded-for'] : undefined
    return { status: res.status, xff }
  }

  t.same(await get(proxyV1('203.0.113.7'), '/echo'), { status: 200, xff: '203.0.113.7' }, 'v1 TCP4: backend sees the carried client')
  t.same(await get(proxyV2('198.51.100.20'), '/echo'), { status: 200, xff: '198.51.100.20' }, 'v2 TCP4: backend sees the carried client')
  t.same(await get(proxyV1('2001:db8::5'), '/echo'), { status: 200, xff: '2001:db8::5' }, 'v1 TCP6')
  t.same(await get(proxyV2('2001:db8:0:0:0:0:0:6'), '/echo'), { status: 200, xff: '2001:db8::6' }, 'v2 TCP6, written as Node writes addresses')
  t.same(await get(proxyV1('203.0.113.7'), '/echo', { 'x-forwarded-for': '10.9.9.9' }), { status: 200, xff: '203.0.113.7' },
    'the carried client is not a trusted proxy: its own X-Forwarded-For is replaced')

  t.equal((await get(proxyV1('203.0.113.7'), '/office/a')).status, 200, 'allow list: 203.0.113.7 is in 203.0.113.0/24')
  t.equal((await get(proxyV2('203.0.113.8'), '/office/a')).status, 200, 'allow list: v2 203.0.113.8 too')
  t.equal((await get(proxyV1('198.51.100.20'), '/office/a')).status, 403, 'allow list: 198.51.100.20 is refused (the peer 127.0.0.1 is not what counts)')
  t.equal((await get(proxyV2('198.51.100.20'), '/office/a')).status, 403, 'allow list: v2 likewise')

  const limited: number[] = []
  for (let i = 0; i < 3; i++) limited.push((await get(proxyV1('192.0.2.1'), '/limited/x')).status)
  t.same(limited, [200, 200, 429], 'client 192.0.2.1 is limited after 2')
  t.equal((await get(proxyV2('192.0.2.2'), '/limited/x')).status, 200, 'another carried client has its own quota, though the peer is the same')
  t.equal((await get(proxyV2('192.0.2.1'), '/limited/x')).status, 429, 'v2 with the first address counts against the same quota')
  t.equal(backend.hitsByPath.get('/office/a'), 2, 'refused requests never reached the backend')
  t.equal(backend.hitsByPath.get('/limited/x'), 3)
})

t.test('consistent-hash by ip hashes the carried client, not the peer', async (t) => {
  const backends = [await startBackend('b1'), await startBackend('b2')]
  const config = writeConfigFile({
    pools: { p: { targets: backends.map((b) => b.url), balancer: 'consistent-hash', hashKey: 'ip' } },
    routes: [{ path: '/', pool: 'p' }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_PROXY_PROTOCOL: 'on', GATEWAY_TRUST_PROXY: '127.0.0.1' })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const port = (gw.app.server.address() as AddressInfo).port
  const backendFor = async (client: string): Promise<string> => {
    const res = await getOver(await connectWithHeader(port, proxyV2(client)), '/h')
    return (JSON.parse(res.body) as { backend: string }).backend
  }
  const owners = new Map<string, string>()
  for (let i = 1; i <= 20; i++) owners.set(`198.51.100.${i}`, await backendFor(`198.51.100.${i}`))
  t.same(new Set(owners.values()), new Set(['b1', 'b2']), '20 carried clients over one peer spread over both targets')
  for (const [client, owner] of owners) {
    if (await backendFor(client) !== owner) t.fail(`${client} moved`)
  }
  t.pass('each carried client stays on its target')
})
