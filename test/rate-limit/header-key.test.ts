/**
 * `rateLimit.key: "header:NAME"` counts per header value; a request without
 * the header is counted by its IP (leaving the header out escapes nothing).
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'

t.test('limit keyed by a header', async (t) => {
  const backend = await startBackend('b')
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url] } },
    routes: [{ path: '/', pool: 'p', rateLimit: { max: 2, windowMs: 60000, key: 'header:x-api-key' } }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const status = async (key?: string): Promise<number> => {
    const res = await fetch(gw.url + '/x', key === undefined ? {} : { headers: { 'x-api-key': key } })
    await res.text()
    return res.status
  }
  t.same([await status('alice'), await status('alice'), await status('alice')], [200, 200, 429], 'alice: 429 after 2')
  t.same([await status('bob'), await status('bob'), await status('bob')], [200, 200, 429], 'bob has his own counter')
  t.same([await status(), await status(), await status()], [200, 200, 429], 'no header: counted by IP, limited too')
  t.equal(backend.hits, 6, 'limited requests did not reach the backend')
})

t.test('an invalid key is refused at start, naming the field', async (t) => {
  const config = writeConfigFile({
    pools: { p: { targets: ['http://127.0.0.1:9'] } },
    routes: [{ path: '/', pool: 'p', rateLimit: { max: 2, windowMs: 60000, key: 'cookie:session' } }]
  })
  await t.rejects(startAppGateway({ GATEWAY_CONFIG: config }), /routes\.0\.rateLimit\.key/)
})
