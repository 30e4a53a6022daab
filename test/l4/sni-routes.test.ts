/**
 * `compileSniRoutes`: exact names first, then the longest `*.domain` suffix,
 * case-insensitive; no name or no match → undefined (the listener's pool).
 */
import t from 'tap'
import { compileSniRoutes } from '../../plugins/l4/sni.js'

t.test('exact, wildcard, longest wildcard, none', async (t) => {
  const route = compileSniRoutes({ 'api.example.com': 'api', '*.example.com': 'web', '*.eu.example.com': 'eu', 'Example.COM': 'apex' })
  t.equal(route('api.example.com'), 'api')
  t.equal(route('API.Example.com'), 'api')
  t.equal(route('www.example.com'), 'web')
  t.equal(route('a.b.example.com'), 'web')
  t.equal(route('x.eu.example.com'), 'eu', 'the longer wildcard wins')
  t.equal(route('example.com'), 'apex', 'a wildcard does not match its own domain')
  t.equal(route('badexample.com'), undefined, 'a suffix must start at a label')
  t.equal(route('other.org'), undefined)
  t.equal(route(undefined), undefined)
})
