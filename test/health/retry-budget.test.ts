/**
 * RetryBudget: retries may add at most 20% of the recent requests, plus a
 * floor of 10 per second of window, and the window slides.
 */
import t from 'tap'
import { RetryBudget } from '../../plugins/pools/retry-budget.js'

const spend = (budget: RetryBudget, now: number): number => {
  let n = 0
  while (budget.tryRetry(now) && n < 100_000) n++
  return n
}

t.test('a quiet pool can still retry a single failure (the floor)', async (t) => {
  const budget = new RetryBudget({ percent: 20, minRetriesPerSecond: 1, windowMs: 10_000 })
  budget.recordRequest(0)
  t.equal(budget.tryRetry(0), true, 'one request, one failure: its retry is allowed')
  t.equal(spend(budget, 0), 10, 'floor of 1/s over 10 s (10) + 20% of one request: 11 retries in all')
  t.equal(budget.tryRetry(0), false, 'then none')
})

t.test('under load, retries are capped at 20% of requests', async (t) => {
  const budget = new RetryBudget({ percent: 20, minRetriesPerSecond: 0, windowMs: 10_000 })
  for (let i = 0; i < 1000; i++) budget.recordRequest(5_000)
  t.equal(budget.remaining(5_000), 200)
  t.equal(spend(budget, 5_000), 200, '200 retries for 1,000 requests')
  t.equal(budget.tryRetry(5_000), false, 'then none')
})

t.test('the window slides: old requests and retries stop counting', async (t) => {
  const budget = new RetryBudget({ percent: 20, minRetriesPerSecond: 0, windowMs: 3_000 })
  for (let i = 0; i < 100; i++) budget.recordRequest(10_000)
  t.equal(spend(budget, 10_500), 20)
  t.equal(budget.tryRetry(12_900), false, 'still spent 2.9 s later')
  for (let i = 0; i < 50; i++) budget.recordRequest(12_900)
  t.equal(budget.remaining(12_900), 10, '150 requests, 20 retries in the window → 10 left')
  t.equal(budget.remaining(13_100), 10, 'after 3 s the first second fell out: 50 requests, 0 retries')
  t.equal(budget.remaining(20_000), 0, 'long after, nothing is left in the window')
})

t.test('defaults: 20% and 10 retries per second over 10 s', async (t) => {
  const budget = new RetryBudget()
  t.equal(budget.remaining(1_000), 100)
  for (let i = 0; i < 500; i++) budget.recordRequest(1_000)
  t.equal(budget.remaining(1_000), 200)
})
