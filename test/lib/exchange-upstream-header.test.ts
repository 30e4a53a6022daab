/**
 * `Exchange.setUpstreamHeader` (lib/exchange.ts), the door through which a
 * link sets headers of the upstream request: the HTTP/1.1 transport writes
 * them as given, so a value with CR or LF (or a name that is no token) is
 * refused where it is set, before anything is sent; a good one is kept.
 */
import t from 'tap'
import Fastify from 'fastify'
import { Exchange, type ExchangeRoute } from '../../lib/exchange.js'
import type { Pool } from '../../plugins/pools/index.js'

const route: ExchangeRoute = {
  prefix: '/',
  pool: {} as unknown as Pool,
  stripPrefix: false,
  links: [],
  filters: [],
  slotCount: 0,
  stats: { requests: 0, responsesByClass: [0, 0, 0, 0, 0, 0], rateLimited: 0, cacheHits: 0, cacheLookups: 0 }
}

t.test('header values with CR/LF/NUL and names that are no token are refused; good ones kept', async (t) => {
  const app = Fastify()
  const outcomes: Record<string, string> = {}
  app.get('/', (request, reply) => {
    const exchange = new Exchange(request, reply.raw, route, '/', Date.now())
    const attempts: Array<[string, string, string | undefined]> = [
      ['crlf value', 'x-token', 'a\r\nx-injected: 1'],
      ['lf value', 'x-token', 'a\nb'],
      ['nul value', 'x-token', 'a\u0000b'],
      ['space in name', 'x token', 'a'],
      ['empty name', '', 'a'],
      ['good', 'if-none-match', '"abc"'],
      ['removal', 'x-drop', undefined]
    ]
    for (const [label, name, value] of attempts) {
      try {
        exchange.setUpstreamHeader(name, value)
        outcomes[label] = 'kept'
      } catch (err) {
        outcomes[label] = (err as { code?: string }).code ?? 'threw'
      }
    }
    reply.send({ overrides: exchange.upstreamHeaderOverrides ?? [] })
  })
  t.teardown(async () => { await app.close() })
  const response = await app.inject('/')
  t.same(outcomes, {
    'crlf value': 'ERR_INVALID_CHAR',
    'lf value': 'ERR_INVALID_CHAR',
    'nul value': 'ERR_INVALID_CHAR',
    'space in name': 'ERR_INVALID_HTTP_TOKEN',
    'empty name': 'ERR_INVALID_HTTP_TOKEN',
    good: 'kept',
    removal: 'kept'
  })
  t.same(response.json().overrides, ['if-none-match', '"abc"', 'x-drop', null], 'only the valid ones were set (a removal is a name with no value)')
})
