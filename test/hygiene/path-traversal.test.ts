/**
 * Path traversal attempts (`..` plain, percent-encoded, double-encoded, behind
 * an encoded slash or a backslash) are refused with 400 and stay inside their
 * route: the backends of the other routes/pools see nothing. Decision: refuse,
 * not normalise (see README, "Request hygiene").
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/http.js'

const ATTEMPTS = [
  '/api/../admin/secret',
  '/api/%2e%2e/admin/secret',
  '/api/%2E%2e/admin/secret',
  '/api/.%2e/admin/secret',
  '/api/..%2fadmin/secret',
  '/api/..%2Fadmin/secret',
  '/api/..%5cadmin/secret',
  '/api/..\\admin/secret',
  '/api/%252e%252e/admin/secret',
  '/api/./../admin/secret',
  '/api/x/..',
  '/stripped/../admin/secret',
  '/stripped/%2e%2e/admin/secret',
  '/stripped/..%2f..%2fadmin/secret',
  '/stripped/%00/x'
]

t.test('traversal attempts are refused and reach no other route', async (t) => {
  const api = await startBackend('api')
  const admin = await startBackend('admin')
  const fallback = await startBackend('fallback')
  const config = writeConfigFile({
    pools: { api: { targets: [api.url] }, admin: { targets: [admin.url] }, fallback: { targets: [fallback.url] } },
    routes: [
      { path: '/api', pool: 'api' },
      { path: '/stripped', pool: 'api', stripPrefix: true },
      { path: '/admin', pool: 'admin', allow: ['10.0.0.0/8'] },
      { path: '/', pool: 'fallback' }
    ]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await api.stop(); await admin.stop(); await fallback.stop() })
  const port = Number(new URL(gw.url).port)

  for (const path of ATTEMPTS) {
    const response = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, 3000)
    t.match(response, /^HTTP\/1\.1 400 /, `${path} → 400`)
    t.match(response, /"code":"SWITCHYARD_BAD_PATH"/, `${path}: refused by path hygiene`)
  }
  t.equal(admin.hits, 0, 'the admin pool saw nothing')
  t.equal(api.hits, 0, 'the api pool saw nothing')
  t.equal(fallback.hits, 0, 'the fallback pool saw nothing')

  // What stays allowed, and where it goes.
  const status = async (path: string): Promise<number> => {
    const res = await fetch(gw.url + path)
    await res.text()
    return res.status
  }
  t.equal(await status('/api/.well-known/x'), 200, 'a segment that merely starts with a dot is fine')
  t.equal(await status('/api/file..txt'), 200, 'dots inside a segment are fine')
  t.equal(await status('/api/group%2Fproject'), 200, 'an encoded slash without dot-segments is fine')
  t.equal(await status('/api//admin/secret'), 200, 'a double slash stays inside /api …')
  t.equal(api.hitsByPath.get('/api//admin/secret'), 1, '… and is forwarded as is to the api pool')
  t.equal(admin.hits, 0, 'the admin pool still saw nothing')
})
