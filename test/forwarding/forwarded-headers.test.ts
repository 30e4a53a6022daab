/**
 * X-Forwarded-For/-Proto/-Host on forwarded requests; incoming ones are
 * trusted only from peers named by GATEWAY_TRUST_PROXY.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'

t.test('untrusted client: its X-Forwarded-* are replaced by what the gateway saw', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  await (await fetch(`${gw.url}/x`, {
    headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', forwarded: 'for=6.6.6.6' }
  })).text()
  const seen = backend.lastHeaders ?? {}
  t.equal(seen['x-forwarded-for'], '127.0.0.1', 'spoofed X-Forwarded-For dropped')
  t.equal(seen['x-forwarded-proto'], 'http')
  t.equal(seen['x-forwarded-host'], new URL(gw.url).host, 'the Host the client asked for')
  t.equal(seen.forwarded, undefined, 'untrusted Forwarded dropped')
})

t.test('trusted proxy (GATEWAY_TRUST_PROXY=127.0.0.1): chain appended, proto and host kept', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_TRUST_PROXY: '127.0.0.1' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  await (await fetch(`${gw.url}/x`, {
    headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' }
  })).text()
  const seen = backend.lastHeaders ?? {}
  t.equal(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
  t.equal(seen['x-forwarded-proto'], 'https')
  t.equal(seen['x-forwarded-host'], 'shop.example')
})

t.test('trusted CIDR that does not contain the peer: nothing trusted', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_TRUST_PROXY: '10.0.0.0/8' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  await (await fetch(`${gw.url}/x`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).text()
  t.equal(backend.lastHeaders?.['x-forwarded-for'], '127.0.0.1')
})
