/**
 * The host-name resolver: looks a name up at the configured DNS servers (a
 * real UDP DNS server on loopback), keeps the last good addresses when a
 * lookup fails, and logs a failure once and the recovery once.
 */
import t from 'tap'
import { HostResolver, addressOrigin, createAddressLookup, deriveHostTargetId, isIpLiteral } from '../../plugins/pools/host-resolver.js'
import { startDnsServer } from '../helpers/dns-server.js'

t.test('A and AAAA records come back sorted and without duplicates', async (t) => {
  const dns = await startDnsServer({ 'api.test': ['127.0.0.3', '127.0.0.2', '::1'] })
  t.teardown(dns.close)
  const lookup = createAddressLookup([dns.address])
  t.same(await lookup('api.test'), ['127.0.0.2', '127.0.0.3', '::1'])
  await t.rejects(lookup('missing.test'), { code: 'ENOTFOUND' }, 'an unknown name fails')
})

t.test('the system resolver knows localhost', async (t) => {
  const addresses = await createAddressLookup()('localhost')
  t.ok(addresses.includes('127.0.0.1') || addresses.includes('::1'), `localhost → ${addresses.join(', ')}`)
})

t.test('a failed lookup keeps the last good set and is logged once, the recovery once', async (t) => {
  const dns = await startDnsServer({ 'api.test': ['127.0.0.2'] })
  t.teardown(dns.close)
  const lines: Array<{ level: string, msg: string }> = []
  const log = { info: (_o: object, msg: string) => lines.push({ level: 'info', msg }), warn: (_o: object, msg: string) => lines.push({ level: 'warn', msg }) }
  const resolver = new HostResolver({ hostname: 'api.test', lookup: createAddressLookup([dns.address]), poolName: 'p', log })
  t.same(await resolver.refresh(1000), ['127.0.0.2'])
  t.equal(resolver.resolvedAt, 1000)
  dns.failing = true
  for (let i = 0; i < 3; i++) t.same(await resolver.refresh(2000 + i), ['127.0.0.2'], `failure ${i + 1}: the last good set is kept`)
  t.equal(resolver.error, 'ESERVFAIL')
  t.equal(resolver.resolvedAt, 1000, 'resolvedAt is the last good lookup')
  t.same(lines, [{ level: 'warn', msg: 'host name lookup failed: keeping the last good addresses' }], 'logged once for three failures')
  dns.failing = false
  dns.records.set('api.test', ['127.0.0.4'])
  t.same(await resolver.refresh(3000), ['127.0.0.4'])
  await resolver.refresh(3001)
  t.equal(resolver.error, undefined)
  t.same(lines.slice(1), [{ level: 'info', msg: 'host name resolves again' }], 'the recovery logged once')
})

t.test('ids and origins of the addresses behind a name', async (t) => {
  const url = new URL('http://api.test:8080')
  t.equal(deriveHostTargetId(url, '127.0.0.2'), deriveHostTargetId(new URL('http://api.test:8080/'), '127.0.0.2'), 'same name and address, same id')
  t.not(deriveHostTargetId(url, '127.0.0.2'), deriveHostTargetId(url, '127.0.0.3'), 'another address, another id')
  t.match(deriveHostTargetId(url, '127.0.0.2', 'api'), /^api-[0-9a-f]{8}$/, 'an explicit id is kept as the prefix')
  t.equal(addressOrigin(url, '::1'), 'http://[::1]:8080')
  t.equal(addressOrigin(new URL('https://api.test'), '127.0.0.2'), 'https://127.0.0.2')
  t.ok(isIpLiteral('[::1]'))
  t.ok(isIpLiteral('127.0.0.1'))
  t.notOk(isIpLiteral('localhost'))
})
