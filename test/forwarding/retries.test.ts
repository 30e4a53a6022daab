/**
 * A request whose connection fails before any response byte goes to another
 * target; a body is replayed only if no byte of it could have been sent.
 */
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { startBackend } from '../helpers/backend.js'
import { startPluginGateway } from '../helpers/gateway.js'

t.test('connection refused: GET and POST (with its body) retried on the live target', async (t) => {
  const dead = await startBackend('dead')
  await dead.stop()
  const live = await startBackend('live', (req, res) => {
    const hash = createHash('sha256')
    req.on('data', (c: Buffer) => hash.update(c))
    req.on('end', () => res.end(JSON.stringify({ backend: 'live', sha: hash.digest('hex') })))
  })
  const gw = await startPluginGateway({ pools: { p: { targets: [dead.url, live.url], retries: 1 } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await live.stop() })
  const body = randomBytes(256 * 1024)
  const expected = createHash('sha256').update(body).digest('hex')
  for (let i = 0; i < 6; i++) {
    const get = await fetch(`${gw.url}/g`)
    t.equal(get.status, 200, `GET ${i} answered`)
    await get.text()
    const post = await fetch(`${gw.url}/p`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })
    t.equal(post.status, 200, `POST ${i} answered`)
    t.equal(((await post.json()) as { sha: string }).sha, expected, `POST ${i} body intact after the retry`)
  }
  t.equal(live.hits, 12, 'the live backend saw every request exactly once')
})

t.test('retries: 0 → the refused request is answered 502', async (t) => {
  const dead = await startBackend('dead')
  await dead.stop()
  const live = await startBackend('live')
  const gw = await startPluginGateway({ pools: { p: { targets: [dead.url, live.url], retries: 0 } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await live.stop() })
  const statuses = []
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${gw.url}/g`)
    await res.text()
    statuses.push(res.status)
  }
  // One refusal: 502 (no retry allowed); it also takes the dead target out
  // (passive health by default, nginx's max_fails=1), so the rest are served.
  t.same(statuses.sort(), [200, 200, 200, 502])
})

t.test('POST whose body reached a backend that then reset is not replayed: 502, backend saw it once', async (t) => {
  let seen = 0
  const resetting = await startBackend('reset', (req) => {
    req.on('data', () => {})
    req.on('end', () => { seen++; req.socket.destroy() })
  })
  const other = await startBackend('other')
  const gw = await startPluginGateway({ pools: { p: { targets: [resetting.url, other.url], retries: 2 } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await resetting.stop(); await other.stop() })
  const res = await fetch(`${gw.url}/order`, { method: 'POST', body: 'buy one', headers: { 'content-type': 'text/plain' } })
  await res.text()
  t.equal(res.status, 502)
  t.equal(seen, 1, 'the resetting backend saw the POST once')
  t.equal(other.hits, 0, 'the POST was not replayed on the other backend')
})

t.test('GET reset before any response byte is retried on another target', async (t) => {
  const resetting = await startBackend('reset', (req) => { req.socket.destroy() })
  const other = await startBackend('other')
  const gw = await startPluginGateway({ pools: { p: { targets: [resetting.url, other.url], retries: 1 } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await resetting.stop(); await other.stop() })
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${gw.url}/g`)
    await res.text()
    t.equal(res.status, 200, `GET ${i} answered by the other backend`)
  }
})
