/**
 * L4 config that cannot work stops the start with one line naming the field:
 * an HTTP route naming a tcp pool, a pool mixing families, a tcp listener on
 * a udp pool, an unknown pool, a tcp target without a port, a bad option.
 */
import t from 'tap'
import { loadConfig } from '../../config/index.js'
import { writeConfigFile } from '../helpers/config-file.js'
import { ConfigError } from '../../lib/validate.js'

function errorOf (content: unknown): string {
  try {
    loadConfig({ GATEWAY_CONFIG: writeConfigFile(content) })
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  return 'no error'
}

t.test('the start fails naming the field', async (t) => {
  t.match(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1:5432'] } }, routes: [{ path: '/', pool: 'db' }] }),
    /^GATEWAY_CONFIG\.routes\.0\.pool "db" is a tcp pool: an HTTP route needs http\(s\) targets$/)
  t.match(errorOf({ pools: { mix: { targets: ['tcp://127.0.0.1:1', 'udp://127.0.0.1:2'] } }, routes: [] }),
    /^GATEWAY_CONFIG\.pools\.mix\.targets\.1 a pool holds one kind of target/)
  t.match(errorOf({ pools: { mix: { targets: ['http://127.0.0.1:1', 'tcp://127.0.0.1:2'] } }, routes: [] }),
    /^GATEWAY_CONFIG\.pools\.mix\.targets\.1 /)
  t.match(errorOf({ pools: { dns: { targets: ['udp://127.0.0.1:53'] } }, tcp: [{ port: 1, pool: 'dns' }] }),
    /^GATEWAY_CONFIG\.tcp\.0\.pool "dns" is a udp pool/)
  t.match(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1:5432'] } }, tcp: [{ port: 1, pool: 'db', sni: { 'a.test': 'nope' } }] }),
    /^GATEWAY_CONFIG\.tcp\.0\.sni\.a\.test "nope" is not a declared pool/)
  t.match(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1:5432'] } }, udp: [{ port: 1, pool: 'db' }] }),
    /^GATEWAY_CONFIG\.udp\.0\.pool "db" is a tcp pool/)
  t.match(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1'] } }, routes: [] }), /^GATEWAY_CONFIG\.pools\.db\.targets\.0 a tcp:\/\/ target needs a port/)
  t.match(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1:1'] } }, tcp: [{ port: 1, pool: 'db', proxyProtocol: 'v3' }] }),
    /^GATEWAY_CONFIG\.tcp\.0\.proxyProtocol must be one of: off, v1, v2$/)
  t.match(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1:1'] } }, tcp: [{ port: 1, pool: 'db', maxConections: 3 }] }),
    /^GATEWAY_CONFIG\.tcp\.0\.maxConections is not a known option$/)
  t.match(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1:1'], health: { type: 'udp' } } }, routes: [] }),
    /^GATEWAY_CONFIG\.pools\.db\.health\.type must be one of: http, tcp$/)
  t.equal(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1:1'] } }, tcp: [{ port: 1, pool: 'db' }] }), 'no error', 'an L4-only config needs no routes')
  t.match(errorOf({ pools: { db: { targets: ['tcp://127.0.0.1:1'] } } }), /^GATEWAY_CONFIG\.routes is required \(unless the file has tcp or udp listeners\)$/, 'but a file with nothing to serve does')
})

t.test('GATEWAY_TCP_PORT and GATEWAY_TCP_UPSTREAMS: the one-pool shortcut', async (t) => {
  const config = loadConfig({ GATEWAY_TCP_PORT: '15432', GATEWAY_TCP_UPSTREAMS: '127.0.0.1:5432, tcp://127.0.0.1:5433' })
  t.same(config.pools['tcp-default']?.targets, ['tcp://127.0.0.1:5432', 'tcp://127.0.0.1:5433'])
  t.same(config.tcp, [{ port: 15432, pool: 'tcp-default' }])
  t.equal(config.demo, false)
  t.throws(() => loadConfig({ GATEWAY_TCP_PORT: '15432' }), /^GATEWAY_TCP_UPSTREAMS must be set together with GATEWAY_TCP_PORT$/)
  t.throws(() => loadConfig({ GATEWAY_TCP_PORT: '1', GATEWAY_TCP_UPSTREAMS: 'http://x:1' }), /^GATEWAY_TCP_UPSTREAMS must be comma-separated host:port/)
})
