/**
 * Http1Agent's life cycle and what it hands on: close() lets requests in
 * flight and waiting finish, then closes every connection, and resolves
 * after; destroy(err) fails them with err at once; a dispatch after either
 * hears `UND_ERR_CLOSED`; `https://` origins, object-form headers, upgrades
 * and CONNECT go to the fallback dispatcher, made once, on first need, and
 * closed with the agent.
 */
import t from 'tap'
import type { Dispatcher } from 'undici'
import { httpTarget, newAgent, recordingHandler, send, settlesWithin, sleep } from '../helpers/http1.js'

t.test('close() waits for requests in flight and queued, then closes their connections', async (t) => {
  const target = await httpTarget(t, (req, res) => { setTimeout(() => { res.end(`done ${req.url ?? ''}`) }, 150) })
  const agent = newAgent(t, { connections: 1 })
  const inFlight = send(agent, target.origin, { path: '/a' })
  const queued = send(agent, target.origin, { path: '/b' })
  await sleep(30)
  let closed = false
  const closing = agent.close().then(() => { closed = true })
  await inFlight.done
  t.notOk(closed, 'not closed while a request still waits')
  await closing
  t.equal(inFlight.body.toString(), 'done /a')
  t.equal(queued.body.toString(), 'done /b', 'the queued request was still sent and completed')
  t.ok(await settlesWithin(target.closed(1), 1000), 'the connection is closed once they are done')
  t.equal(target.accepted, 1)
})

t.test('close() closes idle connections at once', async (t) => {
  const target = await httpTarget(t, (_req, res) => { res.end('ok') })
  const agent = newAgent(t, { keepAliveTimeoutMs: 60_000 })
  await send(agent, target.origin).done
  const startedAt = Date.now()
  await agent.close()
  await target.closed(1)
  t.ok(Date.now() - startedAt < 1000, 'the idle connection did not wait for its keep-alive timeout')
})

t.test('close(callback) calls back', async (t) => {
  const agent = newAgent(t)
  await new Promise<void>((resolve) => { agent.close(resolve) })
  t.pass('called back')
})

t.test('destroy(err) fails requests in flight and queued with err', async (t) => {
  const target = await httpTarget(t, (_req, res) => { setTimeout(() => { res.end('too late') }, 2000) })
  const agent = newAgent(t, { connections: 1 })
  const inFlight = send(agent, target.origin)
  const queued = send(agent, target.origin)
  await sleep(50)
  const reason = new Error('shutting down')
  await agent.destroy(reason)
  await Promise.all([inFlight.done, queued.done])
  t.equal(inFlight.error, reason, 'the request in flight hears err')
  t.equal(queued.error, reason, 'the queued one too')
  t.same([inFlight.completions, queued.completions], [0, 0])
  await target.closed(1)
  t.equal(target.accepted, 1, 'the queued request never got a connection')
})

t.test('destroy() without an error: UND_ERR_DESTROYED', async (t) => {
  const target = await httpTarget(t, (_req, res) => { setTimeout(() => { res.end('late') }, 2000) })
  const agent = newAgent(t)
  const inFlight = send(agent, target.origin)
  await sleep(50)
  await agent.destroy()
  await inFlight.done
  t.equal(inFlight.error?.code, 'UND_ERR_DESTROYED')
})

t.test('a dispatch after close() or destroy() hears UND_ERR_CLOSED and sends nothing', async (t) => {
  const target = await httpTarget(t, (_req, res) => { res.end('ok') })
  for (const end of ['close', 'destroy'] as const) {
    const agent = newAgent(t)
    await agent[end]()
    const seen = send(agent, target.origin)
    await seen.done
    t.equal(seen.error?.code, 'UND_ERR_CLOSED', `after ${end}()`)
  }
  await sleep(50)
  t.equal(target.accepted, 0, 'no connection was made')
})

/** A fallback dispatcher that records what it is handed and answers nothing. */
function recordingFallback (): { make: () => Dispatcher, made: () => number, origins: string[], closes: string[] } {
  const origins: string[] = []
  const closes: string[] = []
  let made = 0
  const make = (): Dispatcher => {
    made++
    return {
      dispatch (options: Dispatcher.DispatchOptions) {
        origins.push(`${String(options.origin)} ${options.method}${options.upgrade != null ? ' upgrade' : ''}`)
        return true
      },
      async close () { closes.push('close') },
      async destroy () { closes.push('destroy') }
    } as unknown as Dispatcher
  }
  return { make, made: () => made, origins, closes }
}

t.test('what the transport does not carry goes to the fallback, made once', async (t) => {
  const fallback = recordingFallback()
  const agent = newAgent(t, {}, fallback.make)
  t.equal(fallback.made(), 0, 'not made before it is needed')
  const { handler } = recordingHandler()
  agent.dispatch({ origin: 'https://127.0.0.1:1', path: '/', method: 'GET', headers: ['host', 'x'] }, handler)
  agent.dispatch({ origin: 'http://127.0.0.1:1', path: '/', method: 'GET', headers: { host: 'x' } }, handler)
  agent.dispatch({ origin: 'http://127.0.0.1:1', path: '/', method: 'GET', headers: ['host', 'x'], upgrade: 'websocket' }, handler)
  agent.dispatch({ origin: 'http://127.0.0.1:1', path: '127.0.0.1:1', method: 'CONNECT', headers: ['host', 'x'] }, handler)
  t.same(fallback.origins, ['https://127.0.0.1:1 GET', 'http://127.0.0.1:1 GET', 'http://127.0.0.1:1 GET upgrade', 'http://127.0.0.1:1 CONNECT'])
  t.equal(fallback.made(), 1, 'made once')
  await agent.close()
  t.same(fallback.closes, ['close'], 'closed with the agent')
})

t.test('destroy() destroys the fallback', async (t) => {
  const fallback = recordingFallback()
  const agent = newAgent(t, {}, fallback.make)
  agent.dispatch({ origin: 'https://127.0.0.1:1', path: '/', method: 'GET', headers: [] }, recordingHandler().handler)
  await agent.destroy(null)
  t.same(fallback.closes, ['destroy'])
})
