/**
 * Health options are checked at registration: a bad `expectStatus` range
 * stops the start with a ConfigError naming the field; the range parser.
 */
import t from 'tap'
import Fastify from 'fastify'
import { pools } from '../../plugins/pools/index.js'
import { health, parseStatusRange } from '../../plugins/health/index.js'
import { ConfigError } from '../../lib/validate.js'

t.test('expectStatus ranges', async (t) => {
  t.same(parseStatusRange('200-399'), [200, 399])
  t.same(parseStatusRange('204'), [204, 204])
  t.throws(() => parseStatusRange('399-200'), RangeError)
})

t.test('an inverted expectStatus range is a ConfigError naming the field', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(pools, {
    pools: { api: { targets: ['http://127.0.0.1:1'], health: { path: '/h', intervalMs: 1000, timeoutMs: 100, healthyThreshold: 1, unhealthyThreshold: 1, expectStatus: '500-200' } } }
  })
  app.register(health)
  const err = await app.ready().then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ConfigError, 'a ConfigError')
  t.match((err as Error).message, /^pools\.api\.health\.expectStatus must be a status or a low-high range/)
})
