/**
 * Regression: a v2 LOCAL header (what HAProxy and Switchyard's L4 tier send
 * on their own connections, e.g. health checks) must be accepted and the
 * real peer used, even when the block still carries addresses, which must
 * be skipped, not read as the client (spec 2.2: "discard the protocol block
 * including the family").
 */
import t from 'tap'
import type { AddressInfo } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { connectWithHeader, getOver, proxyV2, proxyV2Local } from '../helpers/proxy-protocol.js'

t.test('v2 LOCAL: served as from the real peer', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_PROXY_PROTOCOL: 'on', GATEWAY_TRUST_PROXY: '127.0.0.0/8' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const port = (gw.app.server.address() as AddressInfo).port
  const xffOf = async (body: string): Promise<string> => (JSON.parse(body) as { headers: Record<string, string> }).headers['x-forwarded-for'] as string

  const bare = await getOver(await connectWithHeader(port, proxyV2Local(), '127.0.0.7'), '/local')
  t.equal(bare.status, 200, 'LOCAL with no address block is accepted')
  t.equal(await xffOf(bare.body), '127.0.0.7', 'and the real peer is the client')

  const withBlock = await getOver(await connectWithHeader(port, proxyV2('203.0.113.9', { command: 0x0 }), '127.0.0.8'), '/local')
  t.equal(withBlock.status, 200, 'LOCAL with an address block is accepted')
  t.equal(await xffOf(withBlock.body), '127.0.0.8', 'its addresses are ignored: the real peer is the client')
})
