/**
 * Http1Agent closes idle connections: after `keepAliveTimeoutMs` of idleness
 * (checked every quarter second, so a little later, never sooner); sooner
 * when the target's `Keep-Alive: timeout=N` asks for less (a second less
 * than it says, so that we close first); at once, not reused, when that
 * leaves under a second.
 */
import t from 'tap'
import { httpTarget, newAgent, rawTarget, send, sleep } from '../helpers/http1.js'

t.test('an idle connection is closed after keepAliveTimeoutMs', async (t) => {
  const target = await httpTarget(t, (_req, res) => { res.end('ok') })
  const agent = newAgent(t, { keepAliveTimeoutMs: 300 })
  const seen = send(agent, target.origin)
  await seen.done
  const idleSince = Date.now()
  await target.closed(1)
  const idleMs = Date.now() - idleSince
  t.ok(idleMs >= 280, `not before the timeout (${idleMs} ms)`)
  t.ok(idleMs < 1500, `soon after it (${idleMs} ms; 300-550 expected on an idle machine)`)
  const next = send(agent, target.origin)
  await next.done
  t.equal(next.completions, 1, 'the next request gets a new connection')
  t.equal(target.accepted, 2)
})

t.test('a connection in use is not closed by the timeout', async (t) => {
  const target = await httpTarget(t, (_req, res) => { setTimeout(() => { res.end('slow') }, 700) })
  const agent = newAgent(t, { keepAliveTimeoutMs: 300 })
  const seen = send(agent, target.origin)
  await seen.done
  t.equal(seen.body.toString(), 'slow', 'a response slower than the keep-alive timeout completes')
})

t.test('each use restarts the idle clock', async (t) => {
  const target = await httpTarget(t, (_req, res) => { res.end('ok') })
  const agent = newAgent(t, { keepAliveTimeoutMs: 1000 })
  for (let i = 0; i < 5; i++) {
    await send(agent, target.origin).done
    await sleep(300)
  }
  t.equal(target.accepted, 1, 'five requests 300 ms apart (1.5 s in all), one connection')
})

t.test("a target's Keep-Alive: timeout=1 makes the connection not reused", async (t) => {
  const target = await rawTarget(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok')
  })
  const agent = newAgent(t)
  await send(agent, target.origin).done
  await target.closed(1)
  t.pass('the agent closed it')
  await send(agent, target.origin).done
  t.equal(target.accepted, 2, 'the second request came on a new connection')
})

t.test("a target's Keep-Alive: timeout=3 keeps the idle connection about 2 s", async (t) => {
  const target = await rawTarget(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=3, max=100\r\nContent-Length: 2\r\n\r\nok')
  })
  const agent = newAgent(t, { keepAliveTimeoutMs: 10_000 })
  await send(agent, target.origin).done
  const idleSince = Date.now()
  await send(agent, target.origin).done
  t.equal(target.accepted, 1, 'reused meanwhile')
  await target.closed(1)
  const idleMs = Date.now() - idleSince
  t.ok(idleMs >= 1900, `not before 3 s less the margin (${idleMs} ms)`)
  t.ok(idleMs < 2900, `before the target's own 3 s (${idleMs} ms)`)
})

t.test('a target closing an idle connection: the next request opens another', async (t) => {
  const target = await httpTarget(t, (_req, res) => { res.end('ok') })
  target.server.keepAliveTimeout = 100
  const agent = newAgent(t, { keepAliveTimeoutMs: 10_000 })
  await send(agent, target.origin).done
  await target.closed(1)
  // Time for the agent to read the close too (a request racing it may hear UND_ERR_SOCKET, as with undici).
  await sleep(100)
  const next = send(agent, target.origin)
  await next.done
  t.equal(next.body.toString(), 'ok', 'no error from the closed connection')
  t.equal(target.accepted, 2)
})
