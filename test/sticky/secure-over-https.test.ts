/**
 * Over HTTPS (the gateway terminating TLS with a certificate made in the
 * test), the sticky cookie carries `Secure`, and it pins as over HTTP.
 */
import t from 'tap'
import { Agent, request } from 'undici'
import { startBackends } from '../helpers/backend.js'
import { attributesOf, makeCertificate, startStickyGateway } from '../helpers/sticky.js'

t.test('first response over HTTPS: Secure, HttpOnly, SameSite=Lax, Path', async (t) => {
  const backends = await startBackends(3)
  const tls = makeCertificate()
  const gw = await startStickyGateway({
    https: tls,
    pools: { api: { targets: backends.map((b) => b.url), sticky: { cookie: 'sy_api' } } },
    routes: [{ path: '/api', pool: 'api' }]
  })
  const client = new Agent({ connect: { ca: tls.cert } })
  t.teardown(async () => { await client.close(); await gw.close(); for (const b of backends) await b.stop() })
  t.match(gw.url, /^https:/)

  const first = await request(`${gw.url}/api/x`, { dispatcher: client })
  const firstBody = await first.body.json() as { backend: string }
  t.equal(first.statusCode, 200)
  const setCookie = first.headers['set-cookie']
  const header = (Array.isArray(setCookie) ? setCookie : [setCookie]).find((c) => c?.startsWith('sy_api=')) ?? ''
  t.same(attributesOf(header), { path: '/api', httponly: true, samesite: 'Lax', secure: true })

  const pair = header.slice(0, header.indexOf(';'))
  for (let i = 0; i < 5; i++) {
    const res = await request(`${gw.url}/api/x`, { dispatcher: client, headers: { cookie: pair } })
    t.equal(((await res.body.json()) as { backend: string }).backend, firstBody.backend, `request ${i} stays on ${firstBody.backend}`)
    t.equal(res.headers['set-cookie'], undefined, 'no new cookie while pinned')
  }
})
