/**
 * Admin access for people and scripts: the token as Bearer (any case of the
 * scheme) or as the HTTP Basic password, a Basic challenge on the page only;
 * the page reads without JavaScript; `/status` has an ETag and answers 304
 * while nothing changed (to an If-None-Match list too); a browser request from another site cannot drain.
 */
import t from 'tap'
import { startBackends } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { adminAddress } from '../../plugins/admin/index.js'

const TOKEN = 'adm1n-token'
const basic = (password: string): string => 'Basic ' + Buffer.from(`ops:${password}`).toString('base64')

t.test('token as Bearer or Basic password; Basic challenge on the page', async (t) => {
  const backends = await startBackends(2)
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backends.map((b) => b.url).join(','), GATEWAY_ADMIN_TOKEN: TOKEN })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const admin = adminAddress(gw.app)

  const page = await fetch(`${admin}/`)
  t.equal(page.status, 401)
  t.equal(page.headers.get('www-authenticate'), 'Basic realm="switchyard", charset="UTF-8"', 'the browser is asked for a password')
  t.notMatch(await page.text(), /127\.0\.0\.1/)
  t.equal((await fetch(`${admin}/status`)).headers.get('www-authenticate'), 'Bearer realm="switchyard"', 'scripts are asked for a bearer token')
  t.equal((await fetch(`${admin}/`, { headers: { authorization: basic('wrong') } })).status, 401, 'a wrong password is refused')
  t.equal((await fetch(`${admin}/status`, { headers: { authorization: `bearer ${TOKEN}` } })).status, 200, 'the Bearer scheme in any case')
  t.equal((await fetch(`${admin}/status`, { headers: { authorization: basic(TOKEN) } })).status, 200, 'the token as Basic password works for the API too')

  const html = await fetch(`${admin}/`, { headers: { authorization: basic(TOKEN) } })
  t.equal(html.status, 200)
  t.match(html.headers.get('content-type'), /^text\/html/)
  const csp = html.headers.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'none'/)
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1]
  const body = await html.text()
  t.ok(nonce !== undefined && body.includes(`<script nonce="${nonce}">`), 'the inline script carries the CSP nonce')
  t.notMatch(body, /<script[^>]+src=|<link[^>]+stylesheet|(src|href|action)=["']?(https?:)?\/\//i, 'no external asset')
  const ids = gw.app.switchyard.pools.get('default')?.targets.map((x) => x.id) ?? []
  for (const id of ids) t.match(body, new RegExp(`<tr class="up" data-target="${id}">`), `target ${id} is in the server-rendered HTML, up`)
  t.match(body, /<section class="pool" data-pool="default">/)
})

t.test('/status: ETag and 304 while nothing changed', async (t) => {
  const backends = await startBackends(1)
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backends[0]?.url })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const admin = adminAddress(gw.app)
  const first = await fetch(`${admin}/status`)
  const etag = first.headers.get('etag') ?? ''
  t.match(etag, /^"[A-Za-z0-9_-]+"$/)
  await first.json()
  const again = await fetch(`${admin}/status`, { headers: { 'if-none-match': etag } })
  t.equal(again.status, 304, 'unchanged: 304')
  t.equal(await again.text(), '', 'with no body')
  const listed = await fetch(`${admin}/status`, { headers: { 'if-none-match': `"something-else", W/${etag}` } })
  t.equal(listed.status, 304, 'a list that names it, weakly: 304 too (RFC 9110 §13.1.2)')
  await listed.text()
  await (await fetch(`${gw.url}/x`)).text()
  const changed = await fetch(`${admin}/status`, { headers: { 'if-none-match': etag } })
  t.equal(changed.status, 200, 'after traffic the document changed')
  t.not(changed.headers.get('etag'), etag)
  await changed.json()
})

t.test('a request from another site cannot drain (Basic credentials are sent by browsers on their own)', async (t) => {
  const backends = await startBackends(1)
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backends[0]?.url, GATEWAY_ADMIN_TOKEN: TOKEN })
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  const admin = adminAddress(gw.app)
  const target = gw.app.switchyard.pools.get('default')?.targets[0]
  const url = `${admin}/targets/default/${String(target?.id)}/drain`
  const crossOrigin = await fetch(url, { method: 'POST', headers: { authorization: basic(TOKEN), origin: 'http://evil.example' } })
  t.equal(crossOrigin.status, 403, 'another Origin is refused')
  const crossSite = await fetch(url, { method: 'POST', headers: { authorization: basic(TOKEN), 'sec-fetch-site': 'cross-site' } })
  t.equal(crossSite.status, 403, 'Sec-Fetch-Site: cross-site is refused')
  t.equal(target?.draining, false, 'nothing drained')
  const sameOrigin = await fetch(url, { method: 'POST', headers: { authorization: basic(TOKEN), origin: admin, 'sec-fetch-site': 'same-origin' } })
  t.equal(sameOrigin.status, 200, 'the page itself (same origin) may')
  t.equal(target?.draining, true)
})
