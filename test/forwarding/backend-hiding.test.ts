/**
 * No backend address, Server or X-Powered-By ever reaches a client,
 * including error responses; a Location pointing at a backend is rewritten.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

const revealing = (backendPort: number) => new RegExp(`127\\.0\\.0\\.1:${backendPort}|:${backendPort}\\b`)

t.test('Server and X-Powered-By from the backend are removed; Location is rewritten', async (t) => {
  const backend = await startBackend('b', (req, res) => {
    req.resume()
    res.setHeader('Server', 'Apache/2.4.1 (Unix)')
    res.setHeader('X-Powered-By', 'PHP/5.2')
    if (req.url === '/absolute') res.writeHead(302, { location: `http://127.0.0.1:${backend.port}/login?next=1` })
    else if (req.url === '/relative') res.writeHead(302, { location: '/login' })
    else if (req.url === '/external') res.writeHead(302, { location: 'https://accounts.example.com/auth' })
    else res.writeHead(200)
    res.end('body')
  })
  const config = writeConfigFile({
    pools: { app: { targets: [backend.url] } },
    routes: [{ path: '/app', pool: 'app', stripPrefix: true }, { path: '/', pool: 'app' }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const host = new URL(gw.url).host

  const plain = await fetch(`${gw.url}/page`)
  await plain.text()
  t.equal(plain.headers.get('server'), null, 'no Server header')
  t.equal(plain.headers.get('x-powered-by'), null, 'no X-Powered-By header')

  const abs = await fetch(`${gw.url}/absolute`, { redirect: 'manual' })
  t.equal(abs.headers.get('location'), `http://${host}/login?next=1`, 'absolute backend URL → gateway host')

  const strippedAbs = await fetch(`${gw.url}/app/absolute`, { redirect: 'manual' })
  t.equal(strippedAbs.headers.get('location'), `http://${host}/app/login?next=1`, 'route prefix restored when the route strips it')
  const strippedRel = await fetch(`${gw.url}/app/relative`, { redirect: 'manual' })
  t.equal(strippedRel.headers.get('location'), '/app/login', 'path-absolute Location gets the prefix back')

  const external = await fetch(`${gw.url}/external`, { redirect: 'manual' })
  t.equal(external.headers.get('location'), 'https://accounts.example.com/auth', 'external Location untouched')
})

t.test('error responses (502 refused, 504 timeout, 503 none) name no backend', async (t) => {
  const hung = await startBackend('hung', () => { /* never answers */ })
  const dead = await startBackend('dead')
  await dead.stop()
  const config = writeConfigFile({
    pools: {
      dead: { targets: [dead.url], retries: 0 },
      hung: { targets: [hung.url], responseTimeoutMs: 300 }
    },
    routes: [{ path: '/dead', pool: 'dead' }, { path: '/hung', pool: 'hung' }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await hung.stop() })

  for (const [path, status, port] of [['/dead/x', 502, dead.port], ['/hung/x', 504, hung.port]] as const) {
    const res = await fetch(gw.url + path)
    const text = await res.text()
    t.equal(res.status, status, `${path} → ${status}`)
    t.equal(res.headers.get('content-type')?.startsWith('application/json'), true)
    const all = text + JSON.stringify([...res.headers])
    t.notMatch(all, revealing(port), `${path}: no backend address in headers or body`)
    t.notMatch(all, /ECONNREFUSED|UND_ERR|undici|stack/i, `${path}: no upstream error text`)
    const body = JSON.parse(text) as { statusCode: number, code: string }
    t.equal(body.statusCode, status)
    t.match(body.code, /^SWITCHYARD_/)
  }

  const none = await fetch(`${gw.url}/zzz`)
  t.equal(none.status, 404, 'no route → 404')
  const noneBody = await none.json() as { code: string }
  t.equal(noneBody.code, 'SWITCHYARD_NO_ROUTE')
})
