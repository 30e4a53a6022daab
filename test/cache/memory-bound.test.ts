import t from 'tap'
import { MemoryStore } from '../../plugins/cache/memory-store.js'
import type { CachedResponse } from '../../plugins/cache/entry.js'

function response (body: Buffer): CachedResponse {
  return {
    kind: 'response',
    status: 200,
    headers: { 'content-type': 'application/octet-stream', 'cache-control': 'max-age=3600' },
    body,
    responseTime: Date.now(),
    initialAge: 0,
    lifetime: 3600,
    mustRevalidate: false,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    etag: undefined,
    lastModified: undefined,
    vary: []
  }
}

t.test('the memory bound holds while writing 10,000 distinct entries; least recently used go first', async (t) => {
  const maxBytes = 1024 * 1024
  const store = new MemoryStore(maxBytes)
  const body = Buffer.alloc(1000, 'x')
  let maxSeen = 0
  for (let i = 0; i < 10_000; i++) {
    await store.set(`http://h/item/${i}`, response(body), 60_000)
    if (i === 100) await store.get('http://h/item/0') // touched: survives longer than its neighbours
    maxSeen = Math.max(maxSeen, store.bytes)
  }
  t.ok(maxSeen <= maxBytes, `never above the bound (max ${maxSeen} of ${maxBytes} bytes)`)
  // An entry of a 1,000-byte body also costs its objects and headers (~1.5 KiB more).
  t.ok(store.size > 300 && store.size < 1100, `keeps about maxBytes / entry size entries (${store.size})`)
  t.ok(await store.get('http://h/item/9999'), 'the newest entry is there')
  t.equal(await store.get('http://h/item/1'), undefined, 'the oldest entries were evicted')
  t.equal(await store.get('http://h/item/0'), undefined, 'touched early, evicted once enough newer entries came')
  await store.set('http://h/huge', response(Buffer.alloc(2 * maxBytes)), 60_000)
  t.equal(await store.get('http://h/huge'), undefined, 'an item larger than the bound is not stored')
  t.ok(store.bytes <= maxBytes)
})

t.test('the gateway keeps responses above the per-object cap out of the store and streams them through', async (t) => {
  const { cachedGateway, scriptedBackend, send } = await import('../helpers/cache.js')
  const big = 'y'.repeat(300_000)
  const backend = await scriptedBackend((req) => ({ headers: { 'cache-control': 'max-age=3600', ...(req.url === '/known' ? { 'content-length': big.length } : {}) }, body: big }))
  const gateway = await cachedGateway(t, backend, {}, { maxObjectBytes: 100_000 })
  const known = await send(gateway.url, '/known')
  t.equal(known.body.length, big.length)
  t.match(known.headers['cache-status'], /detail=too-large/, 'announced too large: not even tried')
  t.equal((await send(gateway.url, '/known')).body.length, big.length)
  t.equal(backend.hitsByPath.get('/known'), 2, 'not stored')
  const chunked = await send(gateway.url, '/chunked')
  t.equal(chunked.body.length, big.length, 'unannounced length: streamed through whole, the copy dropped at the cap')
  const again = await send(gateway.url, '/chunked')
  t.equal(again.body.length, big.length)
  t.match(again.headers['cache-status'], /fwd=miss/)
  t.equal(backend.hitsByPath.get('/chunked'), 2, 'not stored')
})
