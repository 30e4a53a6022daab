/**
 * Behind a trusted proxy (GATEWAY_TRUST_PROXY), lists apply to the client in
 * X-Forwarded-For; from an untrusted peer that header is ignored, so it
 * cannot be used to slip past a list.
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('X-Forwarded-For decides only when the peer is trusted', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [{ path: '/office', pool: 'p', allow: ['10.1.0.0/16'] }]
  })
  const trusted = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_TRUST_PROXY: '127.0.0.1' })
  const untrusted = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await trusted.close(); await untrusted.close(); await backend.stop() })

  const status = async (base: string, xff?: string): Promise<number> => {
    const res = await fetch(`${base}/office/x`, xff === undefined ? {} : { headers: { 'x-forwarded-for': xff } })
    await res.text()
    return res.status
  }
  t.equal(await status(trusted.url, '10.1.2.3'), 200, 'trusted proxy: the forwarded client 10.1.2.3 is allowed')
  t.equal(await status(trusted.url, '203.0.113.9'), 403, 'trusted proxy: the forwarded client 203.0.113.9 is refused')
  t.equal(await status(untrusted.url, '10.1.2.3'), 403, 'untrusted peer: its X-Forwarded-For is ignored')
  t.equal(backend.hits, 1)
})
