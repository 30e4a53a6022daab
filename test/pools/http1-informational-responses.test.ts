/**
 * Http1Agent passes 1xx responses on: a `103 Early Hints` or a `100 Continue`
 * before the final response reaches onHeaders first (with its own
 * headers), then the final response, and onComplete is called once, for the
 * final one. The connection stays usable after.
 */
import t from 'tap'
import { headerValue, httpTarget, newAgent, rawTarget, send } from '../helpers/http1.js'

t.test('103 Early Hints, then 200', async (t) => {
  const target = await httpTarget(t, (_req, res) => {
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' })
    setTimeout(() => { res.end('final') }, 30)
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.same(seen.events, ['connect', 'headers 103', 'headers 200', 'data', 'complete'])
  t.equal(seen.completions, 1)
  t.equal(headerValue(seen.heads[0]?.headers ?? [], 'link'), '</style.css>; rel=preload; as=style', 'the hint carries its own headers')
  t.equal(headerValue(seen.heads[1]?.headers ?? [], 'link'), undefined, 'the final head does not inherit them')
  t.equal(seen.body.toString(), 'final')
  const again = send(agent, target.origin)
  await again.done
  t.same(again.events, ['connect', 'headers 103', 'headers 200', 'data', 'complete'])
  t.equal(target.accepted, 1, 'the connection is reused')
})

t.test('100 Continue, then the final response, in one write and apart', async (t) => {
  let requests = 0
  const target = await rawTarget(t, (socket) => {
    if (requests++ === 0) {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nmade')
      return
    }
    socket.write('HTTP/1.1 100 Continue\r\nX-Step: one\r\n\r\n')
    setTimeout(() => { socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') }, 30)
  })
  const agent = newAgent(t)
  const together = send(agent, target.origin)
  await together.done
  t.same(together.events, ['connect', 'headers 100', 'headers 201', 'data', 'complete'])
  t.equal(together.heads[0]?.statusText, 'Continue')
  t.equal(together.body.toString(), 'made')
  const apart = send(agent, target.origin)
  await apart.done
  t.same(apart.events, ['connect', 'headers 100', 'headers 200', 'data', 'complete'])
  t.equal(headerValue(apart.heads[0]?.headers ?? [], 'x-step'), 'one')
  t.equal(apart.completions, 1)
  t.equal(apart.body.toString(), 'ok')
  t.equal(target.accepted, 1)
})

t.test('several 1xx in a row before the final response', async (t) => {
  const target = await rawTarget(t, (socket) => {
    socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.js>; rel=preload\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nend\r\n0\r\n\r\n')
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.same(seen.events, ['connect', 'headers 100', 'headers 102', 'headers 103', 'headers 200', 'data', 'complete'])
  t.equal(seen.body.toString(), 'end')
})
