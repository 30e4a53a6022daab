/**
 * GATEWAY_PROXY_PROTOCOL: off by default; on/off, true/false, 1/0; on
 * without GATEWAY_TRUST_PROXY stops the start with one line naming both.
 */
import t from 'tap'
import { loadConfig } from '../../config/index.js'
import { ConfigError } from '../../lib/validate.js'
import { spawnApp } from '../app/spawn.js'

t.test('values', async (t) => {
  t.equal(loadConfig({}).env.proxyProtocol, false, 'off by default')
  for (const on of ['on', 'true', '1', 'ON']) t.equal(loadConfig({ GATEWAY_PROXY_PROTOCOL: on, GATEWAY_TRUST_PROXY: '10.0.0.1' }).env.proxyProtocol, true, `${on} is on`)
  for (const off of ['off', 'false', '0']) t.equal(loadConfig({ GATEWAY_PROXY_PROTOCOL: off }).env.proxyProtocol, false, `${off} is off`)
  t.throws(() => loadConfig({ GATEWAY_PROXY_PROTOCOL: 'yes', GATEWAY_TRUST_PROXY: '10.0.0.1' }), { name: 'ConfigError', message: /^GATEWAY_PROXY_PROTOCOL must be on\/off, true\/false or 1\/0; got "yes"$/ })
})

t.test('on without GATEWAY_TRUST_PROXY names both variables', async (t) => {
  for (const env of [{ GATEWAY_PROXY_PROTOCOL: 'on' }, { GATEWAY_PROXY_PROTOCOL: 'on', GATEWAY_TRUST_PROXY: 'false' }]) {
    try {
      loadConfig(env)
      t.fail('accepted')
    } catch (err) {
      t.ok(err instanceof ConfigError)
      t.equal((err as ConfigError).field, 'GATEWAY_PROXY_PROTOCOL')
      t.match((err as Error).message, /GATEWAY_TRUST_PROXY/)
    }
  }
})

t.test('the real app refuses to start, in one line', async (t) => {
  const app = spawnApp({ PORT: '0', GATEWAY_PROXY_PROTOCOL: 'on' })
  t.teardown(() => { app.child.kill('SIGKILL') })
  t.equal(await app.exited, 1, 'exit code 1')
  const lines = app.stderr().trim().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], /^switchyard: invalid configuration: GATEWAY_PROXY_PROTOCOL is on but GATEWAY_TRUST_PROXY is not set/)
  t.equal(app.stdout(), '', 'nothing started')
})
