/**
 * Unit: CSP parsing, the headers helmet sets with gateway defaults, HSTS value.
 */
import t from 'tap'
import { gatewayHelmetOptions, helmetHeaderNames, hstsValue, parseCsp } from '../../plugins/security-headers/policy.js'

t.test('parseCsp', async (t) => {
  t.same(parseCsp("default-src 'self'; img-src 'self' data: ;"), { 'default-src': ["'self'"], 'img-src': ["'self'", 'data:'] })
  t.same(parseCsp('upgrade-insecure-requests'), { 'upgrade-insecure-requests': [] })
  t.throws(() => parseCsp(' ; ', 'GATEWAY_CSP'), { message: 'GATEWAY_CSP must name at least one directive' })
  t.throws(() => parseCsp('img_src *'), { message: /invalid directive name "img_src"/ })
})

t.test('helmetHeaderNames with gateway defaults', async (t) => {
  const names = helmetHeaderNames(gatewayHelmetOptions(undefined)).sort()
  t.same(names, ['origin-agent-cluster', 'referrer-policy', 'x-content-type-options', 'x-dns-prefetch-control', 'x-download-options', 'x-frame-options', 'x-permitted-cross-domain-policies', 'x-xss-protection'])
  t.ok(helmetHeaderNames(gatewayHelmetOptions("default-src 'self'")).includes('content-security-policy'))
})

t.test('hstsValue', async (t) => {
  t.equal(hstsValue({ maxAgeSeconds: 0 }), undefined)
  t.equal(hstsValue({ maxAgeSeconds: 60 }), 'max-age=60; includeSubDomains')
  t.equal(hstsValue({ maxAgeSeconds: 60, includeSubDomains: false, preload: true }), 'max-age=60; preload')
})
