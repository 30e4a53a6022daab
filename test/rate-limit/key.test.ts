/**
 * Unit test of rate-limit keys (plugins/rate-limit/key.ts).
 */
import t from 'tap'
import { compileKey } from '../../plugins/rate-limit/index.js'

const same = (ip: string): string => ip

t.test('ip (default) and header keys', async (t) => {
  const byIp = compileKey(undefined, 'rateLimit.key', same)
  t.equal(byIp({ ip: '10.0.0.1', headers: {} }), 'ip:10.0.0.1')
  t.equal(compileKey('ip', 'rateLimit.key', same)({ ip: '10.0.0.1', headers: {} }), 'ip:10.0.0.1')
  const byHeader = compileKey('header:X-Api-Key', 'rateLimit.key', same)
  t.equal(byHeader({ ip: '10.0.0.1', headers: { 'x-api-key': 'abc' } }), 'h:abc', 'header names are case-insensitive')
  t.equal(byHeader({ ip: '10.0.0.1', headers: { 'x-api-key': ['abc', 'def'] } }), 'h:abc', 'first of repeated values')
  t.equal(byHeader({ ip: '10.0.0.1', headers: {} }), 'ip:10.0.0.1', 'missing header: counted by IP')
  t.equal(byHeader({ ip: '10.0.0.1', headers: { 'x-api-key': '' } }), 'ip:10.0.0.1', 'empty header: counted by IP')
  t.not(byHeader({ ip: '1.2.3.4', headers: { 'x-api-key': '1.2.3.4' } }), byIp({ ip: '1.2.3.4', headers: {} }), 'a header value cannot collide with an IP key')
})

t.test('IPv6 clients through the normaliser', async (t) => {
  const key = compileKey('ip', 'k', (ip) => ip.split(':').slice(0, 4).join(':') + '::')
  t.equal(key({ ip: '2001:db8:1:2:aaaa::1', headers: {} }), key({ ip: '2001:db8:1:2:bbbb::9', headers: {} }), 'same /64, same key')
})

t.test('invalid specs name the field', async (t) => {
  t.throws(() => compileKey('cookie:sid', 'routes.1.rateLimit.key', same), /routes\.1\.rateLimit\.key must be "ip" or "header:NAME"/)
  t.throws(() => compileKey('header:', 'k', same), /k must be/)
  t.throws(() => compileKey('header:bad name', 'k', same), /k must be/)
})
