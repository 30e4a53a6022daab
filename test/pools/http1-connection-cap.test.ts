/**
 * Http1Agent's per-origin cap: with `connections: 2`, six concurrent slow
 * requests never hold more than two TCP connections to the target; the other
 * four wait and are sent in the order they were dispatched, and all six
 * complete.
 */
import t from 'tap'
import { httpTarget, newAgent, send } from '../helpers/http1.js'

t.test('six concurrent requests over a cap of two connections', async (t) => {
  const arrived: string[] = []
  const waiting: Array<() => void> = []
  let inFlight = 0
  let maxInFlight = 0
  const target = await httpTarget(t, (req, res) => {
    arrived.push(req.url ?? '')
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    waiting.push(() => {
      inFlight--
      res.end(`done ${req.url ?? ''}`)
    })
  })
  // One answer every 100 ms, oldest first: one connection comes free at a time, so the
  // order in which waiting requests reach the target is the order they were sent in.
  const answering = setInterval(() => { waiting.shift()?.() }, 100)
  t.teardown(() => { clearInterval(answering) })
  const agent = newAgent(t, { connections: 2 })
  const requests = Array.from({ length: 6 }, (_, i) => send(agent, target.origin, { path: `/r${i}` }))
  await Promise.all(requests.map(async (r) => { await r.done }))
  for (const [i, r] of requests.entries()) {
    t.same(r.events, ['connect', 'headers 200', 'data', 'complete'], `request ${i} completed`)
    t.equal(r.body.toString(), `done /r${i}`)
  }
  t.equal(target.maxOpen, 2, 'never more than two connections open at once')
  t.equal(target.accepted, 2, 'and only two ever opened (the queue reuses them)')
  t.equal(maxInFlight, 2, 'never more than two requests at the target at once')
  t.same(arrived.slice(0, 2).sort(), ['/r0', '/r1'], 'the first two went at once')
  t.same(arrived.slice(2), ['/r2', '/r3', '/r4', '/r5'], 'the waiting ones were sent in dispatch order')
})

t.test('the cap is per origin', async (t) => {
  const slow = (_req: unknown, res: { end: (s: string) => void }): void => { setTimeout(() => { res.end('ok') }, 100) }
  const one = await httpTarget(t, slow)
  const two = await httpTarget(t, slow)
  const agent = newAgent(t, { connections: 1 })
  const requests = [send(agent, one.origin), send(agent, two.origin), send(agent, one.origin), send(agent, two.origin)]
  await Promise.all(requests.map(async (r) => { await r.done }))
  t.same(requests.map((r) => r.completions), [1, 1, 1, 1])
  t.equal(one.maxOpen, 1)
  t.equal(two.maxOpen, 1, 'each origin got its own connection')
})
