/**
 * Targets by host name, through the gateway: `http://localhost:PORT` is
 * resolved and serves with `Host: localhost:PORT`; a name whose addresses
 * change at a (real, loopback) DNS server gains and drains targets, keeping
 * the ids of those that stay; a failed lookup keeps the set; a new address in
 * a pool with active health is probed before it takes traffic.
 */
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { createServer, type Server } from 'node:http'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { pools, type PoolConfigInput } from '../../plugins/pools/index.js'
import { health } from '../../plugins/health/index.js'
import { gatewayRoutes } from '../../routes/index.js'
import { describePools } from '../../plugins/admin/status.js'
import { startDnsServer } from '../helpers/dns-server.js'
import { urlOf } from '../helpers/gateway.js'

interface AddressBackend { address: string, hits: number, healthProbes: number, hosts: string[], server: Server }

/** An echo backend on `address:port` (127.0.0.x or ::1) answering its address. */
async function listenAt (address: string, port: number): Promise<AddressBackend> {
  const backend: AddressBackend = { address, hits: 0, healthProbes: 0, hosts: [], server: undefined as unknown as Server }
  backend.server = createServer((req, res) => {
    if (req.url === '/health') backend.healthProbes++
    else { backend.hits++; backend.hosts.push(req.headers.host ?? '') }
    res.end(JSON.stringify({ address }))
  })
  await new Promise<void>((resolve, reject) => { backend.server.once('error', reject); backend.server.listen(port, address, () => resolve()) })
  return backend
}

async function closeAll (...servers: AddressBackend[]): Promise<void> {
  for (const b of servers) { b.server.closeAllConnections(); await new Promise((resolve) => b.server.close(resolve)) }
}

async function gateway (poolConfig: PoolConfigInput, dnsServers: string[] | undefined, logs: string[]): Promise<FastifyInstance> {
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { logs.push(...chunk.toString().split('\n').filter((l) => l !== '')); done() } })
  const app = Fastify({ logger: { level: 'info', stream } })
  await app.register(pools, { pools: { p: poolConfig }, ...(dnsServers !== undefined ? { dnsServers } : {}) })
  await app.register(gatewayRoutes, { routes: [{ path: '/', pool: 'p' }] })
  await app.register(health, { drainConnectionsOnClose: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

const waitFor = async (what: string, check: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const addressOf = async (url: string): Promise<string> => ((await (await fetch(url + '/x')).json()) as { address: string }).address

t.test('http://localhost:PORT is resolved, serves, and keeps Host: localhost:PORT', async (t) => {
  const first = await listenAt('127.0.0.1', 0)
  const port = (first.server.address() as AddressInfo).port
  // localhost may also resolve to ::1: a backend there too, when the machine has IPv6 loopback.
  const second = await listenAt('::1', port).catch(() => undefined)
  const backends = second === undefined ? [first] : [first, second]
  const logs: string[] = []
  const app = await gateway({ targets: [`http://localhost:${port}`] }, undefined, logs)
  t.teardown(async () => { await app.close(); await closeAll(...backends) })
  const status = describePools(app.switchyard.pools).pools[0]
  t.equal(status?.hosts?.[0]?.hostname, 'localhost', '/status names the host')
  t.ok(status?.hosts?.[0]?.addresses.includes('127.0.0.1') ?? false, '/status lists its addresses')
  t.ok(status?.targets.every((target) => target.hostName === 'localhost' && target.host === `localhost:${port}`))
  for (let i = 0; i < 4; i++) t.match(await addressOf(urlOf(app)), /^(127\.0\.0\.1|::1)$/)
  const hosts = backends.flatMap((b) => b.hosts)
  t.equal(hosts.length, 4, 'every request reached a backend')
  t.ok(hosts.every((h) => h === `localhost:${port}`), 'Host upstream is the configured name:port')
})

t.test('addresses that appear are added, those that vanish drain, a failed lookup keeps the set', async (t) => {
  const b2 = await listenAt('127.0.0.2', 0)
  const port = (b2.server.address() as AddressInfo).port
  const b3 = await listenAt('127.0.0.3', port)
  const dns = await startDnsServer({ 'api.test': ['127.0.0.2'] })
  const logs: string[] = []
  const app = await gateway({ targets: [`http://api.test:${port}`], dnsRefreshMs: 100 }, [dns.address], logs)
  t.teardown(async () => { await app.close(); await dns.close(); await closeAll(b2, b3) })
  const pool = app.switchyard.pools.get('p')
  if (pool === undefined) throw new Error('no pool')
  const url = urlOf(app)
  t.same(pool.targets.map((x) => x.origin), [`http://127.0.0.2:${port}`], 'resolved at start')
  t.equal(await addressOf(url), '127.0.0.2')

  dns.records.set('api.test', ['127.0.0.2', '127.0.0.3'])
  await waitFor('127.0.0.3 added', () => pool.targets.length === 2)
  const seen = new Set<string>()
  for (let i = 0; i < 6; i++) seen.add(await addressOf(url))
  t.same([...seen].sort(), ['127.0.0.2', '127.0.0.3'], 'the new address takes traffic')
  const [kept, added] = pool.targets
  t.ok(kept !== undefined && kept.requests > 0, 'the staying target kept its counters')
  const idOf3 = added?.id

  dns.records.set('api.test', ['127.0.0.3'])
  await waitFor('127.0.0.2 drained', () => pool.targets.length === 1)
  t.ok(kept?.draining, 'the vanished address is draining')
  t.match(kept?.reason, /no longer in DNS for api\.test/)
  t.equal(pool.targets[0], added, 'the staying target is the same object')
  t.equal(pool.targets[0]?.id, idOf3, 'and keeps its id (sticky cookies and hashing stay valid)')
  const hitsOn2 = b2.hits
  for (let i = 0; i < 4; i++) t.equal(await addressOf(url), '127.0.0.3')
  t.equal(b2.hits, hitsOn2, 'no new request reached the drained address')

  dns.failing = true
  const queries = dns.queries
  await waitFor('three failed refreshes', () => dns.queries >= queries + 6)
  t.same(pool.targets.map((x) => x.origin), [`http://127.0.0.3:${port}`], 'a failed lookup keeps the last good set')
  t.equal(pool.hosts[0]?.error, 'ESERVFAIL', '/status shows the lookup error')
  t.equal(await addressOf(url), '127.0.0.3', 'still serving')
  dns.failing = false
  await waitFor('recovery', () => pool.hosts[0]?.error === undefined)
  const failed = logs.filter((l) => l.includes('host name lookup failed'))
  const recovered = logs.filter((l) => l.includes('host name resolves again'))
  t.equal(failed.length, 1, 'the failure was logged once')
  t.equal(recovered.length, 1, 'the recovery was logged once')
})

t.test('with active health, a new address is probed before it takes traffic', async (t) => {
  const b2 = await listenAt('127.0.0.2', 0)
  const port = (b2.server.address() as AddressInfo).port
  const b4 = await listenAt('127.0.0.4', port)
  const dns = await startDnsServer({ 'api.test': ['127.0.0.2'] })
  // A long interval: the new address's probe is its own, at once, not the next round.
  const app = await gateway({ targets: [`http://api.test:${port}`], dnsRefreshMs: 100, health: { path: '/health', intervalMs: 60_000, healthyThreshold: 3, unhealthyThreshold: 1, timeoutMs: 1000, expectStatus: '200' } }, [dns.address], [])
  t.teardown(async () => { await app.close(); await dns.close(); await closeAll(b2, b4) })
  const pool = app.switchyard.pools.get('p')
  if (pool === undefined) throw new Error('no pool')
  dns.records.set('api.test', ['127.0.0.2', '127.0.0.4'])
  await waitFor('127.0.0.4 added', () => pool.targets.length === 2)
  const added = pool.targets[1]
  await waitFor('its first probe passed', () => added?.healthy === true, 3000)
  t.equal(b4.healthProbes, 1, 'one probe, well before the 60 s interval, put it in')
  t.equal(added?.lastCheckResult, 'ok', 'the last check is recorded on the target')
  t.ok((added?.lastCheckAt ?? 0) > 0)
  t.equal(b4.hits, 0, 'no traffic reached it before its probe')
  const seen = new Set<string>()
  for (let i = 0; i < 6; i++) seen.add(await addressOf(urlOf(app)))
  t.ok(seen.has('127.0.0.4'), 'then it takes traffic')
})
