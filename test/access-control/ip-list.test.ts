/**
 * Unit test of the allow/deny matcher (plugins/access-control/ip-list.ts).
 */
import t from 'tap'
import { compileAccessRules, compileIpList } from '../../plugins/access-control/index.js'

t.test('ranges, single addresses, named ranges, both families', async (t) => {
  const match = compileIpList(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', 'loopback'], 'allow')
  t.ok(match('10.200.3.4'))
  t.ok(match('192.168.1.7'))
  t.notOk(match('192.168.1.8'))
  t.ok(match('2001:db8:1::5'))
  t.notOk(match('2001:db9::5'))
  t.ok(match('127.0.0.1'), 'loopback v4')
  t.ok(match('::1'), 'loopback v6')
  t.ok(match('::ffff:10.1.2.3'), 'an IPv4-mapped IPv6 client matches IPv4 ranges')
})

t.test('deny wins; no rules → no check', async (t) => {
  t.equal(compileAccessRules({}), undefined)
  t.equal(compileAccessRules({ allow: [], deny: [] }), undefined)
  const mayPass = compileAccessRules({ allow: ['10.0.0.0/8'], deny: ['10.0.0.13'] })
  t.ok(mayPass?.('10.0.0.12'))
  t.notOk(mayPass?.('10.0.0.13'), 'in both lists: denied')
  t.notOk(mayPass?.('11.0.0.1'), 'outside allow: denied')
  const denyOnly = compileAccessRules({ deny: ['fd00::/8'] })
  t.ok(denyOnly?.('2001:db8::1'))
  t.notOk(denyOnly?.('fd12::1'))
})

t.test('invalid entries name their field', async (t) => {
  t.throws(() => compileAccessRules({ allow: ['10.0.0.0/8', '300.1.1.1'] }, 'routes.2'), /routes\.2\.allow\.1 must be an IP address or CIDR range/)
  t.throws(() => compileAccessRules({ deny: ['::1/129'] }), /^deny\.0 /)
})
