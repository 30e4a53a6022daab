/**
 * `switchyard check --config FILE` validates the whole config without starting
 * anything: exit 0 and one "ok" line, or exit 1 and one line naming the field.
 */
import t from 'tap'
import { writeConfigFile } from '../helpers/config-file.js'
import { runCli } from '../helpers/cli.js'

const valid = {
  pools: {
    api: { targets: ['http://127.0.0.1:3001', { url: 'http://127.0.0.1:3002', weight: 2 }], health: { path: '/health' } },
    web: { targets: ['http://localhost:3003'], sticky: { cookie: 'sy_web' } }
  },
  routes: [{ path: '/api', pool: 'api' }, { path: '/', pool: 'web' }]
}

t.test('a valid config: exit 0 and one ok line, nothing started', async (t) => {
  // Admin port 1 would need root: a check that started the gateway would fail.
  const result = await runCli(['check', '--config', writeConfigFile(valid)], { GATEWAY_ADMIN_PORT: '1', PORT: '1' })
  t.equal(result.code, 0, result.stderr)
  const lines = result.stdout.trim().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], /is ok \(2 pools, 2 routes\)$/)
  t.equal(result.stderr, '')
})

t.test('invalid configs: exit 1 and the error names the field', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['a route naming an undeclared pool', { ...valid, routes: [{ path: '/api', pool: 'nope' }] }, /GATEWAY_CONFIG\.routes\.0\.pool "nope" is not a declared pool/],
    ['an inverted health status range', { ...valid, pools: { ...valid.pools, api: { targets: ['http://127.0.0.1:3001'], health: { path: '/h', expectStatus: '399-200' } } } }, /GATEWAY_CONFIG\.pools\.api\.health\.expectStatus must be a status or a low-high range/],
    ['the same route path twice', { ...valid, routes: [{ path: '/api', pool: 'api' }, { path: '/api/', pool: 'web' }] }, /GATEWAY_CONFIG\.routes\.1\.path "\/api\/" is declared twice/],
    ['a file that is not JSON', '{ "pools": ', /GATEWAY_CONFIG ".*" is not valid JSON/]
  ]
  for (const [what, content, message] of cases) {
    const result = await runCli(['check', '--config', writeConfigFile(content)])
    t.equal(result.code, 1, `${what}: exit 1`)
    t.equal(result.stdout, '', `${what}: no ok line`)
    t.match(result.stderr, message, `${what}: names the field`)
    t.equal(result.stderr.trim().split('\n').length, 1, `${what}: one line`)
  }
})

t.test('check without a config is a usage error', async (t) => {
  const result = await runCli(['check'])
  t.equal(result.code, 2)
  t.match(result.stderr, /--config FILE/)
})
