/**
 * The `abort` Http1Agent hands to onConnect: called at once, it fails the
 * request with the given error and nothing reaches the target; called while
 * the request waits behind the connection cap, the request is dropped from
 * the queue and never sent; called mid-response, the caller hears onError
 * and the connection is closed. After onComplete it does nothing.
 */
import t from 'tap'
import { httpTarget, newAgent, rawTarget, send, sleep } from '../helpers/http1.js'

t.test('abort inside onConnect: onError(err), nothing sent', async (t) => {
  const target = await rawTarget(t, (socket) => { socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') })
  const agent = newAgent(t)
  const reason = new Error('client gone')
  const seen = send(agent, target.origin, { onConnect: (abort) => { abort(reason) } })
  await seen.done
  t.equal(seen.error, reason, 'the very error given to abort')
  t.same(seen.events, ['connect', 'error client gone'])
  await sleep(100)
  t.same(target.received.map((b) => b.length), target.received.map(() => 0), 'no request byte reached the target')
  const next = send(agent, target.origin)
  await next.done
  t.equal(next.body.toString(), 'ok', 'the agent still works')
})

t.test('abort without an error: UND_ERR_ABORTED', async (t) => {
  const target = await rawTarget(t, () => {})
  const agent = newAgent(t)
  const seen = send(agent, target.origin, { onConnect: (abort) => { abort() } })
  await seen.done
  t.equal(seen.error?.code, 'UND_ERR_ABORTED')
})

t.test('abort while queued behind the cap: onError(err), never sent', async (t) => {
  const paths: string[] = []
  const target = await httpTarget(t, (req, res) => {
    paths.push(req.url ?? '')
    setTimeout(() => { res.end(`done ${req.url ?? ''}`) }, 200)
  })
  const agent = newAgent(t, { connections: 1 })
  const first = send(agent, target.origin, { path: '/first' })
  const queued = send(agent, target.origin, { path: '/queued' })
  const last = send(agent, target.origin, { path: '/last' })
  await sleep(50)
  const reason = new Error('gave up waiting')
  queued.abort(reason)
  t.equal(queued.error, reason, 'onError at once, with the error given')
  await Promise.all([first.done, last.done])
  t.equal(first.body.toString(), 'done /first')
  t.equal(last.body.toString(), 'done /last', 'the request behind it moves up')
  t.same(paths, ['/first', '/last'], 'the aborted request never reached the target')
  t.same(queued.events, ['connect', 'error gave up waiting'], 'and heard nothing else')
  t.equal(target.accepted, 1)
})

t.test('abort mid-response: onError(err), the connection is closed', async (t) => {
  const target = await rawTarget(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000))
  })
  const agent = newAgent(t)
  const reason = new Error('client left mid-body')
  const seen = send(agent, target.origin, {
    onData: (_chunk, recorded) => {
      recorded.abort(reason)
      return true
    }
  })
  await seen.done
  t.equal(seen.error, reason)
  t.equal(seen.completions, 0)
  await target.closed(1)
  t.pass('the target saw the connection close')
  await sleep(20)
  t.equal(seen.events.filter((e) => e.startsWith('error')).length, 1, 'one onError')
})

t.test('abort after the head, before the body, from outside the handler', async (t) => {
  const target = await rawTarget(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  while (seen.heads.length === 0) await sleep(5)
  const reason = new Error('timed out')
  seen.abort(reason)
  await seen.done
  t.same(seen.events, ['connect', 'headers 200', 'error timed out'])
  await target.closed(1)
})

t.test('abort after onComplete does nothing; the connection stays in use', async (t) => {
  const target = await httpTarget(t, (req, res) => {
    if (req.url === '/slow') setTimeout(() => { res.end('slow') }, 100)
    else res.end('ok')
  })
  const agent = newAgent(t)
  const first = send(agent, target.origin)
  await first.done
  first.abort(new Error('late'))
  const second = send(agent, target.origin, { path: '/slow' })
  await sleep(30)
  first.abort(new Error('later still, with the connection carrying another request'))
  await second.done
  t.same(first.events, ['connect', 'headers 200', 'data', 'complete'], 'no onError after onComplete')
  t.same(second.events, ['connect', 'headers 200', 'data', 'complete'], 'the next request on the connection is not hurt')
  t.equal(second.body.toString(), 'slow')
  t.equal(target.accepted, 1)
})
