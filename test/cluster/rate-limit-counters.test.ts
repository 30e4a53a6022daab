/**
 * The primary's rate-limit counters: fixed windows with the arithmetic of
 * @fastify/rate-limit's LocalStore, a bound on keys (least recently counted
 * dropped first), and a sweep of expired windows.
 */
import t from 'tap'
import { RateLimitCounters } from '../../cluster/rate-limit-counters.js'

t.test('fixed windows: count, ttl left, reset when over', async (t) => {
  const counters = new RateLimitCounters()
  t.same(counters.incr('k', 1000, 10_000), { current: 1, ttl: 1000 }, 'first hit opens a window')
  t.same(counters.incr('k', 1000, 10_400), { current: 2, ttl: 600 }, 'second hit: ttl is what is left')
  t.same(counters.incr('other', 1000, 10_400), { current: 1, ttl: 1000 }, 'keys are counted apart')
  t.same(counters.incr('k', 1000, 10_999), { current: 3, ttl: 1 })
  t.same(counters.incr('k', 1000, 11_000), { current: 1, ttl: 1000 }, 'a new window once the old is over')
})

t.test('at most maxKeys keys; the least recently counted go first', async (t) => {
  const counters = new RateLimitCounters(2)
  counters.incr('a', 60_000, 0)
  counters.incr('b', 60_000, 1)
  counters.incr('a', 60_000, 2)
  counters.incr('c', 60_000, 3)
  t.equal(counters.size, 2)
  t.equal(counters.incr('a', 60_000, 4).current, 3, 'a (counted recently) kept its count')
  t.equal(counters.incr('b', 60_000, 5).current, 1, 'b (least recent) was dropped and starts again')
})

t.test('sweep drops the windows that are over', async (t) => {
  const counters = new RateLimitCounters()
  counters.incr('short', 100, 0)
  counters.incr('long', 10_000, 0)
  counters.sweep(100)
  t.equal(counters.size, 1, 'the 100 ms window is gone at 100 ms')
  t.equal(counters.incr('long', 10_000, 200).current, 2, 'the live one kept its count')
})
