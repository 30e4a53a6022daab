/**
 * The workers' rate-limit store: `incr` goes over a channel to the counters
 * the primary keeps, and two stores (two workers) share one count; a count
 * the primary does not answer in time fails (the plugin lets the request pass).
 * The channel here is an in-process pair carrying the same messages.
 */
import t from 'tap'
import { RateLimitClient, ipcRateLimitStore } from '../../cluster/rate-limit-store.js'
import { RateLimitCounters } from '../../cluster/rate-limit-counters.js'
import type { Channel, ToPrimary, ToWorker } from '../../cluster/ipc.js'

/** A worker's channel whose messages reach `primary` (or nobody, when it is undefined). */
function workerChannel (primary: ((message: ToPrimary, reply: (m: ToWorker) => void) => void) | undefined): Channel<ToPrimary, ToWorker> {
  const listeners = new Set<(message: ToWorker) => void>()
  return {
    send: (message) => {
      setImmediate(() => primary?.(message, (reply) => { for (const l of listeners) l(reply) }))
    },
    onMessage: (listener) => { listeners.add(listener); return () => { listeners.delete(listener) } }
  }
}

async function incr (store: { incr: (key: string, cb: (err: Error | null, r?: { current: number, ttl: number }) => void, w: number, m: number) => void }, key: string): Promise<{ current: number, ttl: number }> {
  return await new Promise((resolve, reject) => { store.incr(key, (err, res) => { if (err !== null) reject(err); else resolve(res as { current: number, ttl: number }) }, 60_000, 5) })
}

t.test('two workers\' stores count one key together in the primary', async (t) => {
  const counters = new RateLimitCounters()
  const primary = (message: ToPrimary, reply: (m: ToWorker) => void): void => {
    if (message.type !== 'switchyard:rate-limit-incr') return
    const { current, ttl } = counters.incr(message.key, message.windowMs, Date.now())
    reply({ type: 'switchyard:rate-limit-count', id: message.id, current, ttl })
  }
  const clients = [new RateLimitClient(workerChannel(primary)), new RateLimitClient(workerChannel(primary))]
  t.teardown(() => { for (const c of clients) c.close() })
  const [one, two] = clients.map((client) => new (ipcRateLimitStore(client))({}))
  const counts: number[] = []
  for (let i = 0; i < 3; i++) {
    counts.push((await incr(one as never, 'route|1.2.3.4')).current)
    counts.push((await incr(two as never, 'route|1.2.3.4')).current)
  }
  t.same(counts, [1, 2, 3, 4, 5, 6], 'one count across both workers')
  const child = one?.child({} as never)
  t.equal((await incr(child as never, 'route|1.2.3.4')).current, 7, 'a child store (a route\'s limit) uses the same channel')
  const concurrent = await Promise.all([incr(one as never, 'k'), incr(two as never, 'k'), incr(one as never, 'k')])
  t.same(concurrent.map((c) => c.current).sort(), [1, 2, 3], 'concurrent requests each get their own answer')
})

t.test('no answer within the timeout: the count fails (fail open)', async (t) => {
  const client = new RateLimitClient(workerChannel(undefined), 50)
  t.teardown(() => { client.close() })
  const store = new (ipcRateLimitStore(client))({})
  const started = Date.now()
  const error = await incr(store as never, 'k').then(() => undefined, (err: Error) => err)
  t.match(error?.message, /not answered/, 'the count failed')
  const waited = Date.now() - started
  t.ok(waited >= 50 && waited < 1000, `failed after ${waited} ms (timeout 50 ms, swept every 25 ms)`)
})
