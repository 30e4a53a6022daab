/**
 * Bad environment or config file: the start stops with one line naming the
 * variable or field, a non-zero exit, and nothing listening.
 */
import t, { type Test } from 'tap'
import { loadConfig } from '../../config/index.js'
import { ConfigError } from '../../lib/validate.js'
import { buildGateway } from '../../app.js'
import { writeConfigFile } from '../helpers/gateway.js'
import { spawnApp } from './spawn.js'

const rejects = (t: Test, env: Record<string, string>, field: string, problem: RegExp): void => {
  try {
    loadConfig(env)
    t.fail(`accepted ${JSON.stringify(env)}`)
  } catch (err) {
    t.ok(err instanceof ConfigError, 'a ConfigError')
    t.equal((err as ConfigError).field, field, `names ${field}`)
    t.match((err as Error).message, problem)
  }
}

t.test('bad environment variables are named', async (t) => {
  rejects(t, { PORT: 'eighty' }, 'PORT', /integer/)
  rejects(t, { PORT: '70000' }, 'PORT', /0 to 65535/)
  rejects(t, { GATEWAY_BALANCER: 'fastest' }, 'GATEWAY_BALANCER', /round-robin/)
  rejects(t, { GATEWAY_UPSTREAMS: 'http://127.0.0.1:1,ftp://x' }, 'GATEWAY_UPSTREAMS', /ftp:\/\/x/)
  rejects(t, { GATEWAY_UPSTREAMS: 'http://127.0.0.1:1/path' }, 'GATEWAY_UPSTREAMS', /no path/)
  rejects(t, { GATEWAY_CACHE: 'disk' }, 'GATEWAY_CACHE', /memory/)
  rejects(t, { GATEWAY_CACHE: 'redis' }, 'GATEWAY_REDIS_URL', /required/)
  rejects(t, { GATEWAY_TLS_CERT: '/tmp/cert.pem' }, 'GATEWAY_TLS_KEY', /together/)
  rejects(t, { GATEWAY_TRUST_PROXY: 'everyone' }, 'GATEWAY_TRUST_PROXY', /CIDR/)
  rejects(t, { LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /info/)
  rejects(t, { GATEWAY_CONFIG: '/nonexistent/gateway.json' }, 'GATEWAY_CONFIG', /cannot read/)
})

t.test('bad config file fields are named with their path', async (t) => {
  const base = { pools: { api: { targets: ['http://127.0.0.1:3001'] } }, routes: [{ path: '/api', pool: 'api' }] }
  const cases: Array<[unknown, string, RegExp]> = [
    [{ ...base, pools: { api: { targets: ['http://127.0.0.1:3001'], balancer: 'fastest' } } }, 'GATEWAY_CONFIG.pools.api.balancer', /round-robin/],
    [{ ...base, pools: { api: { targets: [] } } }, 'GATEWAY_CONFIG.pools.api.targets', /fewer than 1/],
    [{ ...base, pools: { api: { targets: ['127.0.0.1:3001'] } } }, 'GATEWAY_CONFIG.pools.api.targets.0', /must be an http:\/\/ or https:\/\/ origin .*got "127\.0\.0\.1:3001"/],
    [{ ...base, pools: { api: { targets: ['http://127.0.0.1:3001'], retries: -1 } } }, 'GATEWAY_CONFIG.pools.api.retries', />= 0/],
    [{ ...base, pools: { api: { targets: ['http://127.0.0.1:3001'], hashKey: 'body' } } }, 'GATEWAY_CONFIG.pools.api.hashKey', /must be ip, path, header:NAME or cookie:NAME/],
    [{ ...base, pools: { api: { targets: ['http://127.0.0.1:3001'], colour: 'blue' } } }, 'GATEWAY_CONFIG.pools.api.colour', /not a known option/],
    [{ ...base, routes: [{ path: '/api', pool: 'nope' }] }, 'GATEWAY_CONFIG.routes.0.pool', /not a declared pool/],
    [{ ...base, routes: [{ pool: 'api' }] }, 'GATEWAY_CONFIG.routes.0.path', /required/],
    [{ pools: base.pools }, 'GATEWAY_CONFIG.routes', /required/]
  ]
  for (const [content, field, problem] of cases) rejects(t, { GATEWAY_CONFIG: writeConfigFile(content) }, field, problem)
  rejects(t, { GATEWAY_CONFIG: writeConfigFile('{ "pools": ', 'broken.json') }, 'GATEWAY_CONFIG', /not valid JSON/)
  rejects(t, { GATEWAY_CONFIG: writeConfigFile('pools: [', 'broken.yaml') }, 'GATEWAY_CONFIG', /not valid YAML/)
})

t.test('YAML config files are read', async (t) => {
  const path = writeConfigFile('pools:\n  api:\n    targets: ["http://127.0.0.1:3001"]\n    balancer: random\nroutes:\n  - path: /api\n    pool: api\n', 'gateway.yaml')
  const config = loadConfig({ GATEWAY_CONFIG: path })
  t.equal(config.pools.api?.balancer, 'random')
  t.equal(config.routes[0]?.path, '/api')
})

t.test('duplicate route paths are rejected at start, naming the config field', async (t) => {
  const path = writeConfigFile({ pools: { a: { targets: ['http://127.0.0.1:3001'] } }, routes: [{ path: '/x', pool: 'a' }, { path: '/x/', pool: 'a' }] })
  await t.rejects(async () => {
    const app = await buildGateway(loadConfig({ GATEWAY_CONFIG: path, GATEWAY_ADMIN_PORT: '0' }), { logger: false })
    await app.ready()
    await app.close()
  }, /^GATEWAY_CONFIG\.routes\.1\.path.*declared twice/)
})

t.test('the real app exits non-zero with one line naming the variable', async (t) => {
  const app = spawnApp({ PORT: '0', GATEWAY_BALANCER: 'fastest' })
  t.teardown(() => { app.child.kill('SIGKILL') })
  t.equal(await app.exited, 1, 'exit code 1')
  const lines = app.stderr().trim().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], /^switchyard: invalid configuration: GATEWAY_BALANCER must be one of: .*; got "fastest"$/)
  t.equal(app.stdout(), '', 'nothing started (no listening log)')
})

t.test('the real app rejects a bad config field the same way', async (t) => {
  const path = writeConfigFile({ pools: { api: { targets: ['http://127.0.0.1:3001'], maxConnectionsPerTarget: 0 } }, routes: [{ path: '/api', pool: 'api' }] })
  const app = spawnApp({ PORT: '0', GATEWAY_CONFIG: path })
  t.teardown(() => { app.child.kill('SIGKILL') })
  t.equal(await app.exited, 1)
  t.match(app.stderr().trim(), /^switchyard: invalid configuration: GATEWAY_CONFIG\.pools\.api\.maxConnectionsPerTarget must be >= 1$/)
})
