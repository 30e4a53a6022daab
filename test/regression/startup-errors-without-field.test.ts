/**
 * Regression (issue 10, item 14): start-up errors that did not name their
 * field, or named it without the `GATEWAY_CONFIG.` prefix, or read as a
 * regular expression; duplicate targets accepted; booleans that took only
 * on/off. Each case now stops the start with one line naming the field.
 */
import t from 'tap'
import { loadConfig } from '../../config/index.js'
import { writeConfigFile } from '../helpers/gateway.js'
import { isIpRange, parseBoolean } from '../../lib/validate.js'

const T1 = 'http://127.0.0.1:3001'
const T2 = 'http://127.0.0.1:3002'

function withFile (content: unknown): Record<string, string> {
  return { GATEWAY_CONFIG: writeConfigFile(content) }
}
function pool (extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { targets: [T1], ...extra }
}

t.test('GATEWAY_TRUST_PROXY with an impossible range names the variable', async (t) => {
  for (const value of ['127.0.0.1/33', '::1/129', '10.0.0.0/255.0.255.0', '300.1.1.1', '10.0.0.0/8,nonsense']) {
    t.throws(() => loadConfig({ GATEWAY_UPSTREAMS: T1, GATEWAY_TRUST_PROXY: value }), { name: 'ConfigError', message: /^GATEWAY_TRUST_PROXY must be true, false, a hop count or IP addresses\/CIDR ranges/ }, value)
  }
  t.same(loadConfig({ GATEWAY_UPSTREAMS: T1, GATEWAY_TRUST_PROXY: '127.0.0.1/32,10.0.0.0/8,::1/128,10.0.0.0/255.0.0.0,loopback' }).env.trustProxy,
    ['127.0.0.1/32', '10.0.0.0/8', '::1/128', '10.0.0.0/255.0.0.0', 'loopback'], 'valid ranges pass')
  t.ok(isIpRange('::ffff:10.0.0.1') && !isIpRange('1.2.3.4/'), 'ranges parsed, not pattern-matched')
})

t.test('a bad allow/deny entry names GATEWAY_CONFIG.routes.N.allow.M', async (t) => {
  const routes = [{ path: '/a', pool: 'p' }, { path: '/b', pool: 'p', allow: ['10.0.0.0/8', '10.0.0.0/40'] }]
  t.throws(() => loadConfig(withFile({ pools: { p: pool() }, routes })), { message: /^GATEWAY_CONFIG\.routes\.1\.allow\.1 must be an IP address or CIDR range .* got "10\.0\.0\.0\/40"$/ })
  t.throws(() => loadConfig(withFile({ pools: { p: pool() }, routes: [{ path: '/', pool: 'p', deny: ['bogus'] }] })), { message: /^GATEWAY_CONFIG\.routes\.0\.deny\.0 must be an IP address/ })
})

t.test('duplicate routes are named with the GATEWAY_CONFIG. prefix', async (t) => {
  const routes = [{ path: '/api', pool: 'p' }, { path: '/web', pool: 'p' }, { path: '/api/', pool: 'p' }]
  t.throws(() => loadConfig(withFile({ pools: { p: pool() }, routes })), { field: 'GATEWAY_CONFIG.routes.2.path', message: 'GATEWAY_CONFIG.routes.2.path "/api/" is declared twice (also GATEWAY_CONFIG.routes.0.path)' })
})

t.test('rateLimit.key "apikey": a message that says what is expected', async (t) => {
  const routes = [{ path: '/', pool: 'p', rateLimit: { max: 10, key: 'apikey' } }]
  t.throws(() => loadConfig(withFile({ pools: { p: pool() }, routes })), { message: 'GATEWAY_CONFIG.routes.0.rateLimit.key must be "ip" or "header:NAME" (e.g. "header:x-api-key"), got "apikey"' })
})

t.test('duplicate targets in a pool (same URL or same id) name the field', async (t) => {
  t.throws(() => loadConfig(withFile({ pools: { p: { targets: [T1, T2, `${T1}/`] } }, routes: [{ path: '/', pool: 'p' }] })),
    { message: `GATEWAY_CONFIG.pools.p.targets.2 "${T1}/" is listed twice (also GATEWAY_CONFIG.pools.p.targets.0)` })
  t.throws(() => loadConfig(withFile({ pools: { p: { targets: [{ url: T1, id: 'a' }, { url: T2, id: 'a' }] } }, routes: [{ path: '/', pool: 'p' }] })),
    { message: 'GATEWAY_CONFIG.pools.p.targets.1.id "a" is the id of GATEWAY_CONFIG.pools.p.targets.0 too' })
  t.throws(() => loadConfig({ GATEWAY_UPSTREAMS: `${T1},${T2},${T1}` }), { message: `GATEWAY_UPSTREAMS lists "${T1}" twice` })
})

t.test('booleans accept on/off, true/false, 1/0 everywhere', async (t) => {
  for (const [value, expected] of [['on', true], ['off', false], ['true', true], ['FALSE', false], ['1', true], ['0', false]] as const) {
    const env = loadConfig({ GATEWAY_UPSTREAMS: T1, GATEWAY_COMPRESSION: value, GATEWAY_SECURITY_HEADERS: value }).env
    t.equal(env.compression, expected, `GATEWAY_COMPRESSION=${value}`)
    t.equal(env.securityHeaders, expected, `GATEWAY_SECURITY_HEADERS=${value}`)
    t.equal(parseBoolean(value), expected)
  }
  t.throws(() => loadConfig({ GATEWAY_UPSTREAMS: T1, GATEWAY_SECURITY_HEADERS: 'yes' }), { message: 'GATEWAY_SECURITY_HEADERS must be on/off, true/false or 1/0; got "yes"' })
  t.equal(loadConfig({ GATEWAY_UPSTREAMS: T1, GATEWAY_TRUST_PROXY: 'on' }).env.trustProxy, true, 'GATEWAY_TRUST_PROXY=on')
  t.equal(loadConfig({ GATEWAY_UPSTREAMS: T1, GATEWAY_TRUST_PROXY: 'off' }).env.trustProxy, false, 'GATEWAY_TRUST_PROXY=off')
  t.equal(loadConfig({ GATEWAY_UPSTREAMS: T1, GATEWAY_TRUST_PROXY: '1' }).env.trustProxy, 1, 'a number there is a hop count')
})
