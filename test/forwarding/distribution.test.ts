/**
 * Each balancer's distribution over real backends, through the gateway.
 */
import t from 'tap'
import { startBackend, startBackends, type TestBackend } from '../helpers/backend.js'
import { startPluginGateway } from '../helpers/gateway.js'

async function hitsAfter (url: string, count: number, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(url, { headers })
    if (res.status !== 200) throw new Error(`status ${res.status}`)
    await res.arrayBuffer()
  }
}

/** `count` GETs of `url`, `concurrency` at a time. */
async function concurrently (url: string, count: number, concurrency: number): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      await (await fetch(url)).text()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

t.test('round-robin: 300 sequential requests over 3 backends → exactly 100 each', async (t) => {
  const backends = await startBackends(3)
  const gw = await startPluginGateway({ pools: { p: { targets: backends.map((b) => b.url), balancer: 'round-robin' } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); for (const b of backends) await b.stop() })
  await hitsAfter(`${gw.url}/x`, 300)
  t.same(backends.map((b) => b.hits), [100, 100, 100])
})

for (const balancer of ['weighted-round-robin', 'random', 'power-of-two'] as const) {
  t.test(`${balancer}: weights 1:3 over 2000 requests → 25% ± 5 points to the light one`, async (t) => {
    const [light, heavy] = await startBackends(2) as [TestBackend, TestBackend]
    const gw = await startPluginGateway({
      pools: { p: { targets: [{ url: light.url, weight: 1 }, { url: heavy.url, weight: 3 }], balancer } }
    }, [{ path: '/', pool: 'p' }])
    t.teardown(async () => { await gw.close(); await light.stop(); await heavy.stop() })
    await hitsAfter(`${gw.url}/x`, 2000)
    const share = light.hits / (light.hits + heavy.hits)
    t.ok(share >= 0.20 && share <= 0.30, `light share ${(share * 100).toFixed(1)}%`)
    t.equal(light.hits + heavy.hits, 2000)
  })
}

// Round robin would send the slow backend 50 %; these balancers must see that it is slow.
const steering = [
  { balancer: 'least-connections', delayMs: 200, concurrency: 10, maxShare: 0.15, why: 'keeps the slow one near its in-flight share' },
  { balancer: 'peak-ewma', delayMs: 60, concurrency: 4, maxShare: 0.2, why: 'prefers the faster backend' }
] as const
for (const { balancer, delayMs, concurrency, maxShare, why } of steering) {
  t.test(`${balancer} ${why} (${delayMs} ms backend, concurrency ${concurrency}, 200 requests)`, async (t) => {
    const slow = await startBackend('slow', (req, res) => { req.resume(); setTimeout(() => res.end('slow'), delayMs) })
    const fast = await startBackend('fast', (req, res) => { req.resume(); res.end('fast') })
    const gw = await startPluginGateway({ pools: { p: { targets: [slow.url, fast.url], balancer } } }, [{ path: '/', pool: 'p' }])
    t.teardown(async () => { await gw.close(); await slow.stop(); await fast.stop() })
    await concurrently(`${gw.url}/x`, 200, concurrency)
    const slowShare = slow.hits / (slow.hits + fast.hits)
    t.ok(slowShare < maxShare, `slow backend got ${(slowShare * 100).toFixed(1)}% (< ${maxShare * 100}%)`)
  })
}

t.test('consistent-hash on header:x-user: stable per key, ~1/N of keys move when a target is removed', async (t) => {
  const backends = await startBackends(4)
  const route = [{ path: '/', pool: 'p' }]
  const full = await startPluginGateway({ pools: { p: { targets: backends.map((b) => b.url), balancer: 'consistent-hash', hashKey: 'header:x-user' } } }, route)
  const reduced = await startPluginGateway({ pools: { p: { targets: backends.slice(0, 3).map((b) => b.url), balancer: 'consistent-hash', hashKey: 'header:x-user' } } }, route)
  t.teardown(async () => { await full.close(); await reduced.close(); for (const b of backends) await b.stop() })

  const owner = async (url: string, user: string): Promise<string> => {
    const res = await fetch(`${url}/x`, { headers: { 'x-user': user } })
    return ((await res.json()) as { backend: string }).backend
  }
  const first = await owner(full.url, 'alice')
  for (let i = 0; i < 20; i++) t.equal(await owner(full.url, 'alice'), first, 'same key, same backend')

  const KEYS = 400
  let moved = 0
  let movedFromSurvivor = 0
  for (let i = 0; i < KEYS; i++) {
    const user = `user-${i}`
    const before = await owner(full.url, user)
    const after = await owner(reduced.url, user)
    if (before !== after) {
      moved++
      if (before !== 'b4') movedFromSurvivor++
    }
  }
  const share = moved / KEYS
  t.ok(share >= 0.15 && share <= 0.35, `${(share * 100).toFixed(1)}% of keys moved (expected about 25%, bounds 15–35%)`)
  t.equal(movedFromSurvivor, 0, 'no key owned by a remaining target moved')
})
