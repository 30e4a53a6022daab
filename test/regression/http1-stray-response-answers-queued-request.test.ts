/**
 * Regression: a target that wrote a second, unasked-for response right
 * behind the first (in the same TCP read) had that stray response handed to
 * the next request waiting for the connection: Http1Agent sent the queued
 * request from inside the parser's message-complete callback, and the parser
 * then went on with the rest of the read, now attributed to the new request.
 * One user's request answered with bytes meant for nobody (or another user).
 * The stray bytes must end the connection instead; the waiting request is
 * answered by the target, on a new connection.
 */
import t from 'tap'
import { newAgent, rawTarget, send, settlesWithin } from '../helpers/http1.js'

t.test('a stray response behind the first does not answer the waiting request', async (t) => {
  const target = await rawTarget(t, (socket, head) => {
    if (head.startsWith('GET /first ')) {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst' + 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray')
    } else {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond')
    }
  })
  const agent = newAgent(t, { connections: 1 })
  const first = send(agent, target.origin, { path: '/first' })
  const second = send(agent, target.origin, { path: '/second' })
  await Promise.all([first.done, second.done])
  t.equal(first.body.toString(), 'first')
  t.not(second.body.toString(), 'stray', 'the waiting request never sees the stray response')
  t.equal(second.body.toString(), 'second', 'it is answered by the target')
  t.equal(second.completions, 1)
})

t.test('the start of a stray response behind the first ends the idle connection', async (t) => {
  const target = await rawTarget(t, (socket, head) => {
    if (head.startsWith('GET /first ')) {
      // The stray head is cut short: no parser callback but the message's begin tells of it.
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst' + 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Stray: ')
    } else {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond')
    }
  })
  const agent = newAgent(t, { connections: 1 })
  const first = send(agent, target.origin, { path: '/first' })
  await first.done
  t.equal(first.body.toString(), 'first')
  // Well before the 4 s keep-alive timeout of newAgent.
  t.ok(await settlesWithin(target.closed(1), 1500), 'the connection with the stray bytes is closed at once')
  const second = send(agent, target.origin, { path: '/second' })
  await second.done
  t.same(second.events, ['connect', 'headers 200', 'data', 'complete'])
  t.equal(second.body.toString(), 'second')
  t.equal(target.accepted, 2, 'on a new connection')
})
