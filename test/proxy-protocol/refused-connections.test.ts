/**
 * With GATEWAY_PROXY_PROTOCOL=on, a connection is closed, and no byte of it
 * reaches a backend, when its header is malformed, missing, cut short, or
 * comes from a peer GATEWAY_TRUST_PROXY does not name; the gateway keeps
 * serving good connections afterwards.
 */
import t from 'tap'
import type { AddressInfo } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { connectWithHeader, getOver, proxyV1, proxyV2, rawExchange } from '../helpers/proxy-protocol.js'

const REQUEST = 'GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'

t.test('bad, missing, partial and untrusted headers close the connection before any backend', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_PROXY_PROTOCOL: 'on', GATEWAY_TRUST_PROXY: '127.0.0.1' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = (gw.app.server.address() as AddressInfo).port

  const refusedAtOnce = async (what: string, chunks: Array<Buffer | string>, localAddress?: string, end = false): Promise<void> => {
    const exchange = await rawExchange(port, chunks, { localAddress, timeoutMs: 3000, end })
    t.ok(exchange.closedByPeer, `${what}: the gateway closed the connection`)
    t.equal(exchange.received, '', `${what}: and sent nothing (no HTTP response)`)
    t.ok(exchange.elapsedMs < 2000, `${what}: at once (${exchange.elapsedMs} ms)`)
  }

  await refusedAtOnce('no header, an HTTP request', [REQUEST])
  await refusedAtOnce('v1 with a leading-zero octet', [proxyV1('203.0.113.07') + REQUEST])
  await refusedAtOnce('v1 ending in LF only', [proxyV1('203.0.113.7').replace('\r\n', '\n') + REQUEST])
  await refusedAtOnce('v1 longer than 107 bytes', ['PROXY UNKNOWN ' + 'a'.repeat(120) + '\r\n' + REQUEST])
  const badSignature = proxyV2('203.0.113.7')
  badSignature[7] = 0x52
  await refusedAtOnce('v2 with a wrong signature', [Buffer.concat([badSignature, Buffer.from(REQUEST)])])
  const badCommand = proxyV2('203.0.113.7')
  badCommand[12] = 0x23
  await refusedAtOnce('v2 with command 3', [Buffer.concat([badCommand, Buffer.from(REQUEST)])])
  await refusedAtOnce('v2 whose TLV overruns its length', [Buffer.concat([proxyV2('203.0.113.7', { tlvs: [0x02, 0x00, 0x40, 0x61] }), Buffer.from(REQUEST)])])
  await refusedAtOnce('a valid v1 header from the untrusted peer 127.0.0.2', [proxyV1('203.0.113.7') + REQUEST], '127.0.0.2')
  await refusedAtOnce('a valid v2 header from the untrusted peer 127.0.0.3', [Buffer.concat([proxyV2('203.0.113.7'), Buffer.from(REQUEST)])], '127.0.0.3')
  await refusedAtOnce('a peer that ends its side mid-header', [proxyV1('203.0.113.7').slice(0, 20)], undefined, true)

  const partial = await rawExchange(port, [proxyV2('203.0.113.7').subarray(0, 20)], { timeoutMs: 12_000 })
  t.ok(partial.closedByPeer, 'partial v2 header: closed')
  t.equal(partial.received, '')
  t.ok(partial.elapsedMs >= 4500 && partial.elapsedMs < 11_000, `partial header: closed after the 5 s header timeout (${partial.elapsedMs} ms)`)

  t.equal(backend.hits, 0, 'no refused connection reached the backend')
  const ok = await getOver(await connectWithHeader(port, proxyV1('203.0.113.7')), '/x')
  t.equal(ok.status, 200, 'a good header still works afterwards')
  t.equal(backend.hits, 1)
})
