/**
 * Regression (issue 10, item 1, fair share): one HTTP/2 connection opening
 * many streams held every upstream slot of a target; every other client got
 * 503 until it let go. Now one client connection (an HTTP/2 session) holds at
 * most `max(1, floor(maxConnectionsPerTarget / 4))` upstream requests in
 * flight; beyond that its new streams get 503 at once, and other clients are
 * served. (The per-connection stream cap is plugins/tls's.)
 */
import t from 'tap'
import { connect, type ClientHttp2Session } from 'node:http2'
import type { AddressInfo } from 'node:net'
import type { ServerResponse } from 'node:http'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { makeCertificate } from '../helpers/tls.js'
import { h2Request } from '../helpers/h2.js'

const MAX_CONNECTIONS_PER_TARGET = 16
const SHARE = MAX_CONNECTIONS_PER_TARGET / 4
/** More streams than the target has connections: before the fix they took every one. */
const GREEDY_STREAMS = 20

t.test('one h2 session gets its share of a target; other clients are still served', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const held: ServerResponse[] = []
  const backend = await startBackend('slow', (req, res) => {
    req.resume()
    // /slow is held until the test lets go; anything else answers at once.
    if (req.url?.startsWith('/slow') === true) held.push(res)
    else res.end('quick')
  })
  const config = writeConfigFile({ pools: { p: { targets: [backend.url], maxConnectionsPerTarget: MAX_CONNECTIONS_PER_TARGET } }, routes: [{ path: '/', pool: 'p' }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config, GATEWAY_TLS_CERT: certificate.certPath, GATEWAY_TLS_KEY: certificate.keyPath })
  const port = (gw.app.server.address() as AddressInfo).port
  const sessions: ClientHttp2Session[] = []
  t.teardown(async () => {
    for (const res of held) res.destroy()
    for (const s of sessions) s.destroy()
    await gw.close()
    await backend.stop()
  })
  const open = async (): Promise<ClientHttp2Session> => {
    const session = connect(`https://localhost:${port}`, { ca: certificate.cert })
    sessions.push(session)
    await new Promise<void>((resolve, reject) => { session.once('connect', () => resolve()); session.once('error', reject) })
    return session
  }

  const greedy = await open()
  const greedyAnswers = Array.from({ length: GREEDY_STREAMS }, async (_, i) => await h2Request(greedy, { ':method': 'GET', ':path': `/slow/${i}` }, undefined, 20_000))
  // Wait until the greedy session's share is at the backend.
  for (let waited = 0; held.length < SHARE && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(held.length, SHARE, `the greedy session holds exactly its share (${SHARE}) of the target's ${MAX_CONNECTIONS_PER_TARGET} connections`)

  const other = await open()
  const others = await Promise.all(Array.from({ length: 3 }, async () => await h2Request(other, { ':method': 'GET', ':path': '/quick' })))
  t.same(others.map((r) => r.status), [200, 200, 200], 'another h2 client is served meanwhile')

  for (const res of held.splice(0)) res.end('slow')
  const settled = await Promise.all(greedyAnswers)
  const statuses = settled.map((r) => r.status)
  t.equal(statuses.filter((s) => s === 200).length, SHARE, `${SHARE} greedy streams were forwarded and answered 200`)
  t.equal(statuses.filter((s) => s === 503).length, GREEDY_STREAMS - SHARE, 'the rest got 503 at once')
  const refused = settled.find((r) => r.status === 503)
  t.equal(JSON.parse(refused?.body.toString() ?? '{}').code, 'SWITCHYARD_CONNECTION_SHARE', 'with the gateway\'s own code')
  t.equal(refused?.headers['retry-after'], '1', 'and Retry-After')

  // The share is given back: the same session is served again.
  const again = await h2Request(greedy, { ':method': 'GET', ':path': '/quick' })
  t.equal(again.status, 200, 'the session\'s count went back down')
  t.equal(gw.app.switchyard.pools.get('p')?.targets[0]?.inFlight, 0, 'nothing left in flight')
})
