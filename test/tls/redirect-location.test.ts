/**
 * Unit: the redirect target of the plain-HTTP listener, and the certificate
 * pair check.
 */
import t from 'tap'
import { httpsLocation } from '../../plugins/tls/redirect.js'
import { readCertificatePair } from '../../plugins/tls/certificates.js'
import { makeCertificate } from '../helpers/tls.js'

t.test('httpsLocation', async (t) => {
  t.equal(httpsLocation('example.com', '/a?b=1', 443), 'https://example.com/a?b=1')
  t.equal(httpsLocation('example.com:80', '/a', 8443), 'https://example.com:8443/a')
  t.equal(httpsLocation('[::1]:8080', '/', 8443), 'https://[::1]:8443/')
  t.equal(httpsLocation('127.0.0.1', '/x', 443), 'https://127.0.0.1/x')
  t.equal(httpsLocation(undefined, '/', 443), undefined, 'no Host')
  t.equal(httpsLocation('evil.test/path', '/', 443), undefined, 'not a host name')
  t.equal(httpsLocation('a b', '/', 443), undefined)
  t.equal(httpsLocation('example.com', '//evil.test/', 443), 'https://example.com/', 'a network-path reference does not change the host')
  t.equal(httpsLocation('example.com', 'http://evil.test/', 443), 'https://example.com/', 'an absolute-form target does not either')
})

t.test('readCertificatePair', async (t) => {
  const a = makeCertificate()
  const b = makeCertificate()
  t.teardown(() => { a.remove(); b.remove() })
  t.ok(readCertificatePair({ certPath: a.certPath, keyPath: a.keyPath }).cert.equals(a.cert))
  t.throws(() => readCertificatePair({ certPath: a.certPath, keyPath: b.keyPath }), { name: 'ConfigError', message: /^GATEWAY_TLS_CERT and GATEWAY_TLS_KEY are not a matching/ })
  t.throws(() => readCertificatePair({ certPath: '/nonexistent.pem', keyPath: a.keyPath }), { message: /^GATEWAY_TLS_CERT cannot read "\/nonexistent\.pem": ENOENT/ })
  t.throws(() => readCertificatePair({ certPath: a.certPath, keyPath: a.keyPath + '.x' }, { cert: 'certPath', key: 'keyPath' }), { message: /^keyPath cannot read/ })
})
