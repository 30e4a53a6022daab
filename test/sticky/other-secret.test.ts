/**
 * A cookie signed with another secret is rejected: balanced afresh and
 * replaced with one signed under this gateway's secret.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { cookiePair, get, startStickyGateway } from '../helpers/sticky.js'

t.test('a cookie from a gateway with another secret is rejected', async (t) => {
  const backends = await startBackends(3)
  const pools = { api: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy', sameSite: 'Lax' } } }
  const routes = [{ path: '/', pool: 'api' }]
  const pickedBy: string[] = []
  const other = await startStickyGateway({ pools, routes, stickySecret: 'the-other-gateways-secret-xyz' })
  const ours = await startStickyGateway({ pools, routes, onResponse: (request) => { pickedBy.push(request.switchyard?.pickedBy ?? 'none') } })
  t.teardown(async () => { await other.close(); await ours.close(); for (const b of backends) await b.stop() })

  const foreign = cookiePair(await get(`${other.url}/`), 'sy') as string
  t.ok(foreign)
  // The foreign cookie is valid where it was issued.
  t.same((await get(`${other.url}/`, foreign)).setCookies, [], 'honoured by its issuer')

  const answer = await get(`${ours.url}/`, foreign)
  t.equal(answer.status, 200)
  t.equal(pickedBy[0], 'balanced')
  const replaced = cookiePair(answer, 'sy')
  t.ok(replaced, 'a new cookie is set')
  t.not(replaced, foreign)
  t.same((await get(`${ours.url}/`, replaced)).setCookies, [], 'the new cookie is honoured')
  t.equal(pickedBy[1], 'sticky')
  t.equal(ours.app.switchyard.pools.get('api')?.stickyCounters.rejected, 1)
})
