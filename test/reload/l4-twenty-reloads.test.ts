/**
 * 20 whole-config reloads in a row under L4 load (4 TCP echo clients looping
 * connections, one UDP client asking in turn), alternating between two
 * configs that change the pools' targets, the tcp listener's limits and the
 * udp listener's session timeout, and add and remove a second tcp listener:
 * 0 failed connections or unanswered datagrams, and afterwards no growth in
 * live timers or sockets (TCP, UDP, servers) beyond a small slack.
 */
import t from 'tap'
import { createSocket } from 'node:dgram'
import { deadTcpPort, namedEchoTcp, startL4Gateway, startTcpBackend, startTcpLoad, startUdpBackend, udpAsk } from '../helpers/l4.js'
import { trackHandles } from '../helpers/handles.js'

/** Timers and sockets may differ by this many (a connection or a probe in progress at the moment of counting). */
const HANDLE_SLACK = 4

const handles = trackHandles()
const pause = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('20 reloads under L4 load: 0 failures, no leaked timers or sockets', async (t) => {
  const tcp = await Promise.all(['a', 'b', 'c'].map(async (name) => await startTcpBackend(name, namedEchoTcp)))
  const udp = await Promise.all(['ua', 'ub'].map(async (name) => await startUdpBackend(name)))
  const [a, b, c] = tcp as [typeof tcp[0], typeof tcp[0], typeof tcp[0]]
  const [ua, ub] = udp as [typeof udp[0], typeof udp[0]]
  const extraPort = await deadTcpPort()
  const configA = {
    pools: { db: { targets: [a.url, b.url], health: { type: 'tcp', intervalMs: 200 } }, dns: { targets: [ua.url] } },
    tcp: [{ port: 0, host: '127.0.0.1', pool: 'db' }],
    udp: [{ port: 0, host: '127.0.0.1', pool: 'dns' }]
  }
  const gw = await startL4Gateway(configA)
  const tcpPort = gw.tcpPort()
  const udpPort = gw.udpPort()
  const configB = {
    pools: { db: { targets: [a.url, c.url], health: { type: 'tcp', intervalMs: 300 } }, dns: { targets: [ua.url, ub.url] }, side: { targets: [c.url] } },
    tcp: [
      { port: tcpPort, host: '127.0.0.1', pool: 'db', maxConnections: 500, idleTimeoutMs: 120_000 },
      { port: extraPort, host: '127.0.0.1', pool: 'side' }
    ],
    udp: [{ port: udpPort, host: '127.0.0.1', pool: 'dns', sessionTimeoutMs: 20_000 }]
  }
  const client = createSocket('udp4')
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    client.close()
    await gw.close()
    for (const x of tcp) await x.stop()
    for (const x of udp) await x.stop()
  })

  // Warm-up in config A: the baseline has the clients' and checkers' handles.
  const warm = startTcpLoad(tcpPort, { clients: 4, maxMs: 10_000 })
  while (warm.connections < 20) await pause(5)
  const warmed = await warm.stop()
  t.same(warmed.failures, [])
  t.match(await udpAsk(client, udpPort, 'warm'), /^ua:warm$/)
  await pause(300)
  const handlesBefore = handles()

  const load = startTcpLoad(tcpPort, { clients: 4, maxMs: 60_000 })
  const udpFailures: string[] = []
  let udpAnswers = 0
  const state = { stopped: false }
  const udpLoop = (async () => {
    for (let i = 0; !state.stopped && i < 100_000; i++) {
      try {
        const reply = await udpAsk(client, udpPort, `q${i}`)
        if (!/^u[ab]:q\d+$/.test(reply)) udpFailures.push(reply)
        udpAnswers++
      } catch (err) {
        udpFailures.push(String(err))
      }
    }
  })()
  for (let i = 0; i < 20; i++) {
    const result = await gw.app.switchyardConfig.replace(i % 2 === 0 ? configB : configA)
    t.equal(result.configVersion, i + 2, `reload ${i + 1} applied`)
    t.same(i % 2 === 0 ? result.l4.added : result.l4.removed, [`tcp 127.0.0.1:${extraPort}`], `reload ${i + 1}: the second tcp listener ${i % 2 === 0 ? 'added' : 'removed'}`)
    const target = load.connections + 12
    while (load.connections < target) await pause(5)
  }
  const result = await load.stop()
  state.stopped = true
  await udpLoop
  t.same(result.failures, [], `0 failed TCP connections in ${result.connections} during 20 reloads`)
  t.ok(result.connections >= 20 * 12, `connections kept flowing (${result.connections})`)
  t.same(udpFailures, [], `0 unanswered datagrams in ${udpAnswers}`)
  t.ok(udpAnswers >= 20, `datagrams kept flowing (${udpAnswers})`)
  t.same(gw.status().map((l) => `${l.protocol} ${l.address}`), [`tcp 127.0.0.1:${tcpPort}`, `udp 127.0.0.1:${udpPort}`], 'back to config A')
  const [main] = gw.status()
  t.equal(main?.total, warmed.connections + result.connections, 'the tcp listener counted every connection across the reloads')
  t.ok((main?.targets.length ?? 99) <= 2, `per-target counters of targets that left are dropped (${main?.targets.length ?? 0} kept)`)

  // Removed pools retire 1 s after the reload that removed them: let that pass.
  await pause(1500)
  const handlesAfter = handles()
  for (const kind of ['Timeout (live, unref included)', 'TCPSocketWrap', 'TCPServerWrap', 'UDPWrap']) {
    const before = handlesBefore[kind] ?? 0
    const after = handlesAfter[kind] ?? 0
    t.ok(after <= before + HANDLE_SLACK, `${kind}: ${before} before, ${after} after (slack ${HANDLE_SLACK})`)
  }
  t.comment(`handles before ${JSON.stringify(handlesBefore)}, after ${JSON.stringify(handlesAfter)}`)
})
