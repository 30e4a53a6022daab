/**
 * Helmet's headers on every response (proxied, and the gateway's own errors),
 * with gateway defaults: no CSP unless configured, no Cross-Origin-*-Policy;
 * a backend's own value wins (the gateway's are defaults for responses that
 * lack them; issue 10 item 10); the backend's Server and X-Powered-By never
 * reach the client.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { getRaw } from '../helpers/get.js'

const EXPECTED: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
  'origin-agent-cluster': '?1'
}
const ABSENT = ['content-security-policy', 'cross-origin-embedder-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'strict-transport-security', 'server', 'x-powered-by']

t.test('security headers with gateway defaults', async (t) => {
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    res.writeHead(200, {
      'content-type': 'text/html',
      server: 'nginx/1.2.3',
      'x-powered-by': 'PHP/5.4',
      'x-frame-options': 'ALLOW-FROM https://evil.test',
      'x-content-type-options': 'sniff-away',
      'strict-transport-security': 'max-age=5'
    })
    res.end('<p>hi</p>')
  })
  t.teardown(backend.stop)
  const config = writeConfigFile({ pools: { p: { targets: [backend.url] }, dead: { targets: ['http://127.0.0.1:1'], retries: 0 } }, routes: [{ path: '/', pool: 'p' }, { path: '/dead', pool: 'dead' }] })
  const gateway = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(gateway.close)

  const proxied = await getRaw(`${gateway.url}/page`)
  t.equal(proxied.status, 200)
  const backendOwn: Record<string, string> = { 'x-frame-options': 'ALLOW-FROM https://evil.test', 'x-content-type-options': 'sniff-away' }
  for (const [name, value] of Object.entries({ ...EXPECTED, ...backendOwn })) t.equal(proxied.headers[name], value, `${name}: ${value}`)
  for (const name of ABSENT) t.equal(proxied.headers[name], undefined, `no ${name}`)
  t.equal(proxied.body.toString(), '<p>hi</p>')

  const failed = await getRaw(`${gateway.url}/dead/x`)
  t.equal(failed.status, 502, 'a gateway error …')
  for (const [name, value] of Object.entries(EXPECTED)) t.equal(failed.headers[name], value, `… carries ${name} too`)
  t.equal(failed.headers['x-powered-by'], undefined)
})

t.test('GATEWAY_SECURITY_HEADERS=off', async (t) => {
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain', 'x-powered-by': 'Express', server: 'Apache', 'x-frame-options': 'DENY' })
    res.end('ok')
  })
  t.teardown(backend.stop)
  const gateway = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_SECURITY_HEADERS: 'off' })
  t.teardown(gateway.close)
  const res = await getRaw(`${gateway.url}/`)
  t.equal(res.headers['x-content-type-options'], undefined, 'no helmet headers')
  t.equal(res.headers['x-frame-options'], 'DENY', 'the backend\'s own header passes')
  t.equal(res.headers['x-powered-by'], undefined, 'X-Powered-By is still stripped by the forwarder')
  t.equal(res.headers.server, undefined, 'Server too')
})

t.test('replyHelmet: true also gives an app\'s own routes reply.helmet() (via @fastify/helmet)', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { securityHeaders } = await import('../../plugins/security-headers/index.js')
  const app = Fastify()
  await app.register(securityHeaders, { replyHelmet: true })
  app.get('/own', async (_request, reply) => {
    t.equal(typeof (reply as unknown as { helmet: unknown }).helmet, 'function', 'reply.helmet is decorated')
    return { ok: true }
  })
  t.teardown(async () => { await app.close() })
  const res = await app.inject('/own')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-content-type-options'], 'nosniff', 'gateway headers set on own routes too')
})
