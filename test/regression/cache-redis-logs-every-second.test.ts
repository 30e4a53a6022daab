/**
 * Regression (issue 10, item 17): during a Redis outage the cache's client
 * logged a line every 1–2 s. Through `lib/redis.ts` an outage is now one
 * warning when it starts and one info line when Redis is back, however many
 * requests and probes happen meanwhile — for a hung Redis (SIGSTOP) too.
 */
import t from 'tap'
import { RedisStore } from '../../plugins/cache/redis-store.js'
import { startRedis } from '../helpers/redis.js'
import { sleep } from '../helpers/cache.js'

t.test('hung Redis: one warning, reads answered at once, one info line after SIGCONT', async (t) => {
  const redis = await startRedis()
  const lines: Array<{ level: string, msg: string }> = []
  const log = {
    warn: (_obj: object, msg: string) => { lines.push({ level: 'warn', msg }) },
    info: (_obj: object, msg: string) => { lines.push({ level: 'info', msg }) }
  }
  const store = await RedisStore.connect({ url: redis.url, log })
  t.teardown(async () => {
    redis.process.kill('SIGCONT')
    await store.close()
    await redis.stop()
  })
  t.ok(await store.ready(5000), 'connected')
  t.equal(await store.get('k'), undefined, 'a plain miss')
  t.same(lines, [], 'nothing logged while all is well')

  redis.process.kill('SIGSTOP')
  const readTimes: number[] = []
  const until = Date.now() + 3000
  while (Date.now() < until) {
    const started = performance.now()
    t.equal(await store.get('k'), undefined)
    readTimes.push(performance.now() - started)
    await sleep(50)
  }
  t.same(lines.map((l) => l.level), ['warn'], `one warning for ${readTimes.length} reads over 3 s (probes every second meanwhile)`)
  t.match(lines[0]?.msg, /cache Redis unavailable/)
  readTimes.sort((a, b) => a - b)
  t.ok((readTimes[Math.floor(readTimes.length / 2)] as number) < 50, 'reads are answered at once once the breaker is open')

  redis.process.kill('SIGCONT')
  const deadline = Date.now() + 5000
  while (Date.now() < deadline && lines.length < 2) await sleep(50)
  t.same(lines.map((l) => l.level), ['warn', 'info'], 'one line when Redis is back')
  t.match(lines[1]?.msg, /cache Redis is back/)
})
