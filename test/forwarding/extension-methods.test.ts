/**
 * Routes forward every method Node parses but CONNECT — WebDAV and other
 * extension methods included, with their bodies — and refuse TRACE by
 * default; a route's `methods` list narrows that, with 405 + Allow.
 */
import t from 'tap'
import { request } from 'node:http'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

async function send (url: string, method: string, body?: string): Promise<{ status: number, allow: string | undefined, text: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('extension methods are forwarded with their bodies; TRACE is refused by default', async (t) => {
  const backend = await startBackend('dav', (req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => res.writeHead(207, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body })))
  })
  const config = writeConfigFile({
    pools: { dav: { targets: [backend.url] } },
    routes: [{ path: '/dav', pool: 'dav' }, { path: '/ro', pool: 'dav', methods: ['GET', 'HEAD'] }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  for (const method of ['PROPFIND', 'MKCOL', 'M-SEARCH', 'PURGE', 'REPORT']) {
    const res = await send(`${gw.url}/dav/files/`, method, '<propfind/>')
    t.equal(res.status, 207, `${method} forwarded`)
    t.same(JSON.parse(res.text), { method, body: '<propfind/>' }, `${method} reached the backend with its body`)
  }
  const before = backend.hits
  const trace = await send(`${gw.url}/dav/files/`, 'TRACE')
  t.equal(trace.status, 405, 'TRACE refused by default')
  const narrowed = await send(`${gw.url}/ro/files/`, 'PROPFIND', '<propfind/>')
  t.equal(narrowed.status, 405, 'a method outside the route\'s list → 405')
  t.equal(narrowed.allow, 'GET, HEAD')
  t.equal(backend.hits, before, 'refused requests never reached the backend')
})
