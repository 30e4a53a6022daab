/**
 * `https://` targets: the backend's certificate is verified by default (a
 * self-signed one → 502, and no request reaches it), accepted when its CA is
 * configured (`tls.ca`), or when verification is turned off on purpose
 * (`tls.rejectUnauthorized: false`). A missing CA file stops the start.
 */
import t from 'tap'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { makeCertificate, startHttpsBackend } from '../helpers/tls.js'

t.test('HTTPS backends are verified', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const backend = await startHttpsBackend(certificate)
  t.teardown(backend.stop)
  const config = writeConfigFile({
    pools: {
      strict: { targets: [backend.url], retries: 0 },
      trusted: { targets: [backend.url], tls: { ca: certificate.certPath } },
      insecure: { targets: [backend.url], tls: { rejectUnauthorized: false } }
    },
    routes: [
      { path: '/strict', pool: 'strict' },
      { path: '/trusted', pool: 'trusted' },
      { path: '/insecure', pool: 'insecure' }
    ]
  })
  const gateway = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(gateway.close)

  const strict = await fetch(`${gateway.url}/strict/x`)
  t.equal(strict.status, 502, 'a self-signed backend certificate is refused by default')
  const body = await strict.text()
  t.notMatch(body, /127\.0\.0\.1|self.signed|certificate/i, 'the error names neither the backend nor the TLS failure')
  t.equal(backend.hits, 0, 'no request reached the unverified backend')

  const trusted = await fetch(`${gateway.url}/trusted/y`)
  t.equal(trusted.status, 200, 'accepted when its CA is configured')
  t.same(await trusted.json(), { backend: 'tls', url: '/trusted/y' })

  const insecure = await fetch(`${gateway.url}/insecure/z`)
  t.equal(insecure.status, 200, 'accepted when verification is turned off on purpose')
  t.equal(backend.hits, 2)
})

t.test('a CA that is not the signer is refused', async (t) => {
  const certificate = makeCertificate()
  const other = makeCertificate('other-ca')
  t.teardown(() => { certificate.remove(); other.remove() })
  const backend = await startHttpsBackend(certificate)
  t.teardown(backend.stop)
  const config = writeConfigFile({ pools: { p: { targets: [backend.url], tls: { ca: other.certPath } } }, routes: [{ path: '/', pool: 'p' }] })
  const gateway = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(gateway.close)
  const res = await fetch(`${gateway.url}/`)
  t.equal(res.status, 502)
  t.equal(backend.hits, 0)
})

t.test('an unreadable CA file stops the start with the field named', async (t) => {
  const config = writeConfigFile({ pools: { p: { targets: ['https://127.0.0.1:1'], tls: { ca: '/nonexistent/ca.pem' } } }, routes: [{ path: '/', pool: 'p' }] })
  await t.rejects(startAppGateway({ GATEWAY_CONFIG: config }), { name: 'ConfigError', message: /pools\.p\.tls\.ca cannot read "\/nonexistent\/ca\.pem"/ })
})
