/**
 * Http1Agent keeps connections to a target alive: sequential requests share
 * one TCP connection and say `connection: keep-alive`; a response that says
 * `Connection: close` (or an HTTP/1.0 one without keep-alive) ends its
 * connection, and the next request opens a new one.
 */
import t from 'tap'
import { httpTarget, newAgent, rawTarget, send } from '../helpers/http1.js'

t.test('sequential requests travel on one connection, each saying connection: keep-alive', async (t) => {
  const connectionHeaders: Array<string | undefined> = []
  const target = await httpTarget(t, (req, res) => {
    connectionHeaders.push(req.headers.connection)
    res.end(`hello ${req.url ?? ''}`)
  })
  const agent = newAgent(t)
  for (let i = 0; i < 5; i++) {
    const seen = send(agent, target.origin, { path: `/r${i}` })
    await seen.done
    t.same(seen.events, ['connect', 'headers 200', 'data', 'complete'], `request ${i} completed`)
    t.equal(seen.body.toString(), `hello /r${i}`)
  }
  t.equal(target.accepted, 1, 'five requests, one TCP connection')
  t.same(connectionHeaders, Array(5).fill('keep-alive'))
})

t.test('a response with Connection: close is not reused', async (t) => {
  let requests = 0
  const target = await httpTarget(t, (_req, res) => {
    requests++
    if (requests === 1) res.setHeader('connection', 'close')
    res.end('x')
  })
  const agent = newAgent(t)
  const first = send(agent, target.origin)
  await first.done
  t.equal(first.completions, 1)
  await target.closed(1)
  t.pass('the first connection was closed')
  const second = send(agent, target.origin)
  await second.done
  t.equal(second.completions, 1, 'the next request completes')
  t.equal(target.accepted, 2, 'on a new connection')
  const third = send(agent, target.origin)
  await third.done
  t.equal(target.accepted, 2, 'which, kept alive, carries the one after')
})

t.test('an HTTP/1.0 response without keep-alive is not reused', async (t) => {
  const target = await rawTarget(t, (socket) => {
    // The target does not close: the agent must not trust the connection anyway.
    socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')
  })
  const agent = newAgent(t)
  const first = send(agent, target.origin)
  await first.done
  t.equal(first.body.toString(), 'ok')
  await target.closed(1)
  const second = send(agent, target.origin)
  await second.done
  t.equal(second.completions, 1)
  t.equal(target.accepted, 2, 'a second connection')
})
