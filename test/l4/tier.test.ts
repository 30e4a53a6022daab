/**
 * The combined tier (examples/tier): a Switchyard L4 balancer (PROXY v2) in
 * front of two Switchyard L7 instances that accept the PROXY protocol and
 * share one real Redis and one sticky secret. Clients connect from 127.0.0.5
 * (the balancer from 127.0.0.1), so the address the backends see tells
 * whether the real client survived the tier. Every request opens its own
 * connection, so the balancer alternates between the two L7 instances.
 */
import t from 'tap'
import { request } from 'node:http'
import { startRedis } from '../helpers/redis.js'
import { startTier, TIER_RATE_LIMIT, TIER_STICKY_COOKIE } from '../../examples/tier/tier.js'

const CLIENT = '127.0.0.5'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: { backend?: string, xff?: string | null }
}

/** One GET on a fresh connection from `CLIENT`; a transport failure resolves as status 0. */
async function get (base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return await new Promise((resolve) => {
    const req = request(`${base}${path}`, { agent: false, localAddress: CLIENT, headers: { connection: 'close', ...headers }, timeout: 10_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => {
        let body: Answer['body'] = {}
        try { body = JSON.parse(text) as Answer['body'] } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
      })
      res.on('error', () => { resolve({ status: 0, headers: {}, body: {} }) })
    })
    req.on('timeout', () => { req.destroy() })
    req.on('error', () => { resolve({ status: 0, headers: {}, body: {} }) })
    req.end()
  })
}

/** Which L7 instance served a response: backends a* sit behind the first, b* behind the second. */
function sideOf (answer: Answer): string {
  return answer.body.backend?.[0] ?? '?'
}

t.test('the tier', async (t) => {
  const redis = await startRedis()
  const tier = await startTier({ redisUrl: redis.url, logLevel: 'error' })
  t.teardown(async () => { await tier.stop(); await redis.stop() })

  t.test('backends see the real client address in X-Forwarded-For', async (t) => {
    const sides = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const answer = await get(tier.url, `/whoami/${i}`)
      t.equal(answer.status, 200)
      t.equal(answer.body.xff, CLIENT, `request ${i}: X-Forwarded-For is the client, not the balancer`)
      sides.add(sideOf(answer))
    }
    t.same([...sides].sort(), ['a', 'b'], 'both L7 instances served')
  })

  t.test(`a rate limit of ${TIER_RATE_LIMIT}/min holds in total across both L7 instances`, async (t) => {
    const statuses: number[] = []
    const sides = new Set<string>()
    for (let i = 0; i < TIER_RATE_LIMIT + 6; i++) {
      const answer = await get(tier.url, '/limited')
      statuses.push(answer.status)
      if (answer.status === 200) sides.add(sideOf(answer))
    }
    t.equal(statuses.filter((s) => s === 200).length, TIER_RATE_LIMIT, `exactly ${TIER_RATE_LIMIT} allowed (${statuses.join(',')})`)
    t.equal(statuses.filter((s) => s === 429).length, 6, 'the rest refused with 429')
    t.same([...sides].sort(), ['a', 'b'], 'allowed ones were served by both instances')
  })

  t.test('a response cached through one L7 instance is a hit through the other', async (t) => {
    const hitsBefore = tier.backends.reduce((sum, b) => sum + b.hits, 0)
    const first = await get(tier.url, '/cached/item')
    const second = await get(tier.url, '/cached/item')
    t.equal(first.status, 200)
    t.match(first.headers['cache-status'], /fwd=(uri-)?miss.*stored/, 'first: a miss, stored')
    t.match(second.headers['cache-status'], /switchyard; hit/, 'second: a hit')
    t.equal(second.body.backend, first.body.backend, 'the same stored body')
    t.equal(tier.backends.reduce((sum, b) => sum + b.hits, 0), hitsBefore + 1, 'one backend request for both')
    const l4 = await (await fetch(`${tier.l4.adminUrl}/status`)).json() as { l4: Array<{ targets: Array<{ url: string, total: number }> }> }
    const totals = l4.l4[0]?.targets.map((target) => target.total) ?? []
    t.equal(totals.length, 2)
    t.ok(Math.abs((totals[0] ?? 0) - (totals[1] ?? 0)) <= 1, `the balancer alternated between the instances (${totals.join(', ')} connections)`)
  })

  t.test('a sticky cookie issued by one L7 instance is honoured by the other', async (t) => {
    const first = await get(tier.url, '/sticky/x')
    const setCookie = ([] as string[]).concat(first.headers['set-cookie'] ?? [])
    const cookie = setCookie.find((c) => c.startsWith(`${TIER_STICKY_COOKIE}=`))?.split(';')[0]
    t.ok(cookie, 'a sticky cookie was issued')
    const slot = first.body.backend?.[1]
    const seen = new Set<string>([sideOf(first)])
    for (let i = 0; i < 4; i++) {
      const next = await get(tier.url, '/sticky/x', { cookie: cookie as string })
      seen.add(sideOf(next))
      t.equal(next.body.backend?.[1], slot, `request ${i} stayed on slot app-${String(slot)} (${String(next.body.backend)})`)
      t.equal(next.headers['set-cookie'], undefined, `request ${i}: the cookie was accepted, not re-issued`)
    }
    t.same([...seen].sort(), ['a', 'b'], 'both instances honoured it')
  })

  t.test('killing one L7 instance under load: new connections go to the other, 0 failures after detection', async (t) => {
    const [victim] = tier.l7
    const results: Array<{ startedAt: number, status: number, side: string }> = []
    let killedAt = 0
    let detectedAt = 0
    const watch = setInterval(() => {
      if (killedAt === 0 || detectedAt !== 0) return
      fetch(`${tier.l4.adminUrl}/status`).then(async (res) => await res.json() as { pools: Array<{ targets: Array<{ url: string, condition: string }> }> }).then((status) => {
        const target = status.pools[0]?.targets.find((x) => x.url.endsWith(`:${victim.port}`))
        if (detectedAt === 0 && target !== undefined && target.condition !== 'healthy') detectedAt = Date.now()
      }, () => {})
    }, 25)
    t.teardown(() => { clearInterval(watch) })
    const total = 240
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < total) {
        const i = next++
        if (i === 60) {
          killedAt = Date.now()
          victim.kill().catch(() => {})
        }
        const startedAt = Date.now()
        const answer = await get(tier.url, `/load/${i}`)
        results.push({ startedAt, status: answer.status, side: sideOf(answer) })
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    clearInterval(watch)
    t.ok(killedAt > 0, 'an instance was killed mid-run')
    t.ok(detectedAt > 0, `the balancer took it out of rotation ${detectedAt - killedAt} ms after the kill`)
    const afterDetection = results.filter((r) => r.startedAt >= detectedAt)
    t.ok(afterDetection.length > 50, `${afterDetection.length} requests after detection`)
    t.equal(afterDetection.filter((r) => r.status !== 200).length, 0, '0 failed requests after detection')
    t.ok(afterDetection.every((r) => r.side === 'b'), 'all served by the surviving instance')
    const failed = results.filter((r) => r.status !== 200).length
    t.ok(failed <= 4, `at most the requests in flight at the kill failed (${failed})`)
  })
})
