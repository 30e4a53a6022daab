/**
 * Regression (issue 10, item 1): one HTTP/2 connection opening 1,100 slow
 * streams took every upstream slot and every other client got 503. The
 * gateway now caps concurrent streams per connection (GATEWAY_H2_MAX_STREAMS,
 * default 128, as nginx): a raw node:http2 client that opens streams before it
 * has read the server's SETTINGS gets the extra ones refused, the backend
 * never sees more than the cap from it, and other clients keep being served.
 */
import t from 'tap'
import { connect, constants, type ClientHttp2Session } from 'node:http2'
import type { ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'undici'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { makeCertificate } from '../helpers/tls.js'
import { waitFor } from '../helpers/health.js'

const ATTACK_STREAMS = 1100
const CAP = 128
/** Below the attack's stream count, above the cap: without the cap one connection fills it. */
// Large enough that the per-connection fair share (a quarter: 1,024 / 4 = 256) is above the stream cap:
// this test is about the cap (h2-connection-fair-share.test.ts is about the share).
const MAX_CONNECTIONS_PER_TARGET = 1024

t.test('one h2 connection cannot hold more than the stream cap; others are served', async (t) => {
  const certificate = makeCertificate()
  t.teardown(certificate.remove)
  const held: ServerResponse[] = []
  let inFlightSlow = 0
  let peakSlow = 0
  const backend = await startBackend('b1', (req, res) => {
    req.resume()
    if (req.url === '/slow') {
      inFlightSlow++
      peakSlow = Math.max(peakSlow, inFlightSlow)
      res.on('close', () => { inFlightSlow-- })
      held.push(res)
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('fast')
  })
  const config = writeConfigFile({
    pools: { p: { targets: [backend.url], maxConnectionsPerTarget: MAX_CONNECTIONS_PER_TARGET, responseTimeoutMs: 60_000 } },
    routes: [{ path: '/', pool: 'p' }]
  })
  const gateway = await startAppGateway({
    GATEWAY_CONFIG: config,
    GATEWAY_TLS_CERT: certificate.certPath,
    GATEWAY_TLS_KEY: certificate.keyPath,
    GATEWAY_COMPRESSION: 'off'
  })
  const port = (gateway.app.server.address() as AddressInfo).port
  const origin = `https://localhost:${port}`
  const agent = new Agent({ connections: 20, connect: { ca: certificate.cert } })
  const sessions: ClientHttp2Session[] = []
  t.teardown(async () => {
    for (const res of held) res.destroy()
    for (const session of sessions) session.destroy()
    await agent.close()
    await gateway.close()
    await backend.stop()
  })

  // The attacker: streams opened at once, before the server's SETTINGS are read
  // (the client believes it may open 2,000), each waiting for a slow answer.
  const attacker = connect(origin, { ca: certificate.cert, peerMaxConcurrentStreams: 2000 })
  sessions.push(attacker)
  attacker.on('error', () => {})
  let refused = 0
  let otherErrors = 0
  for (let i = 0; i < ATTACK_STREAMS; i++) {
    const stream = attacker.request({ ':method': 'GET', ':path': '/slow' })
    stream.on('error', () => {})
    stream.on('close', () => {
      if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) refused++
      else if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && stream.rstCode !== constants.NGHTTP2_CANCEL) otherErrors++
    })
    stream.resume()
  }
  t.ok(await waitFor(() => held.length >= CAP, 20_000) >= 0, `the backend holds ${CAP} slow requests of the attacker`)
  // Give the gateway time to forward anything beyond the cap (it must not).
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.ok(peakSlow <= CAP, `the backend never saw more than ${CAP} of the attacker's requests at once (peak ${peakSlow})`)
  t.comment(`attacker: ${refused} streams refused by the gateway, ${ATTACK_STREAMS - refused - held.length} waiting in its own client queue, ${otherErrors} other errors`)

  // Other clients, while the attacker holds its cap: HTTP/1.1 over TLS and a second h2 connection.
  const statuses = new Map<number, number>()
  const count = (status: number): void => { statuses.set(status, (statuses.get(status) ?? 0) + 1) }
  const other = connect(origin, { ca: certificate.cert })
  sessions.push(other)
  other.on('error', () => {})
  const h2Get = async (): Promise<number> => await new Promise((resolve) => {
    const stream = other.request({ ':method': 'GET', ':path': '/fast' })
    let status = 0
    stream.on('response', (headers) => { status = Number(headers[':status']) })
    stream.on('error', () => resolve(0))
    stream.on('close', () => resolve(status))
    stream.resume()
  })
  const h1Get = async (): Promise<number> => {
    try {
      const res = await request(`${origin}/fast`, { dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000 })
      await res.body.text()
      return res.statusCode
    } catch {
      return 0
    }
  }
  for (let round = 0; round < 10; round++) {
    const results = await Promise.all([
      ...Array.from({ length: 10 }, h1Get),
      ...Array.from({ length: 10 }, h2Get)
    ])
    for (const status of results) count(status)
  }
  const summary = [...statuses].map(([status, n]) => `${status}×${n}`).join(', ')
  t.comment(`other clients while one connection tries ${ATTACK_STREAMS} streams: ${summary}`)
  t.same([...statuses.keys()], [200], `all 200 other requests answered 200 (${summary})`)
  t.equal(statuses.get(200), 200)
  t.ok(peakSlow <= CAP, `still at most ${CAP} of the attacker's streams upstream (peak ${peakSlow})`)
})
