/**
 * Regression (issue 10, item 11): 100,000 distinct URLs under a 64 MiB bound
 * settled at ~345 MB RSS: entries cost far more than the store counted (it
 * counted bodies and header characters, not the objects around them), and a
 * stored body that was a slice of a socket read kept the whole read alive.
 * The RSS figure comes from `bench/cache-memory.ts`; here, the store's own
 * byte accounting, what a stored item holds on to, that the count covers the
 * live heap and buffers of its entries, and that entries sharing header
 * values (the same content-type, cache-control, server, date) share strings.
 */
import t from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MemoryStore } from '../../plugins/cache/memory-store.js'
import { itemSize, type CachedResponse } from '../../plugins/cache/entry.js'

function response (body: Buffer, headers: Record<string, string | string[]> = {}): CachedResponse {
  return {
    kind: 'response',
    status: 200,
    headers: { 'content-type': 'application/octet-stream', 'cache-control': 'max-age=3600', ...headers },
    body,
    responseTime: Date.now(),
    initialAge: 0,
    lifetime: 3600,
    mustRevalidate: false,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    etag: '"v1"',
    lastModified: undefined,
    vary: []
  }
}

t.test('an item counts its body, key, headers and per-object overhead', async (t) => {
  const body = Buffer.alloc(100, 'x')
  const key = 'http://h/' + 'k'.repeat(200)
  const bare = itemSize('http://h/a', response(body))
  t.ok(bare >= body.length + 1000, `a 100-byte body costs well over 100 bytes (${bare})`)
  t.ok(itemSize(key, response(body)) - bare >= 199, 'a longer key costs its characters')
  const many = response(body, Object.fromEntries(Array.from({ length: 20 }, (_v, i) => [`x-header-${i}`, 'v'.repeat(30)])))
  t.ok(itemSize('http://h/a', many) - bare >= 20 * (11 + 30), 'each header field costs its name, value and objects')
  const listed = response(body, { 'set-cookie': ['a=1', 'b=2', 'c=3'] })
  t.ok(itemSize('http://h/a', listed) > itemSize('http://h/a', response(body, { 'set-cookie': 'a=1' })), 'a list of values costs each one')
})

t.test('a stored body holds only its own bytes, not the read it was sliced from', async (t) => {
  const store = new MemoryStore(1024 * 1024)
  const read = Buffer.alloc(64 * 1024, 'r') // a socket read: headers and body in one buffer
  const body = read.subarray(300, 300 + 1024)
  await store.set('http://h/sliced', response(body), 60_000)
  const stored = store.getNow('http://h/sliced') as CachedResponse
  t.equal(stored.body.toString(), body.toString(), 'same bytes')
  t.equal(stored.body.buffer.byteLength, 1024, 'in an ArrayBuffer of its own size (not the 64 KiB read)')
  read.fill('z')
  t.equal(stored.body[0], 'r'.charCodeAt(0), 'a copy: the read buffer may be reused')
  t.same(stored.headers, response(body).headers, 'headers kept')
  t.equal(stored.etag, '"v1"')
})

t.test('the bound holds in counted bytes with many small entries', async (t) => {
  const maxBytes = 1024 * 1024
  const store = new MemoryStore(maxBytes)
  const body = Buffer.alloc(10, 'x')
  for (let i = 0; i < 20_000; i++) await store.set(`http://h/${i}`, response(body), 60_000)
  t.ok(store.bytes <= maxBytes, `counted bytes within the bound (${store.bytes})`)
  t.ok(store.size < maxBytes / 1000, `small entries are not counted as nearly free: ${store.size} kept in 1 MiB`)
})

/** A full GC, so heap figures are what lives (the flag is set for this process only). */
function collectGarbage (): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
}

function liveBytes (): number {
  collectGarbage()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

/** A response as the forwarder hands it over: every header value a fresh string, the body a slice of a larger read. */
function forwarded (i: number, sharedValues: boolean): CachedResponse {
  const fresh = (value: string): string => Buffer.from(value).toString('latin1')
  const read = Buffer.alloc(1024 + 400, 'r')
  const distinct = sharedValues ? '' : `-${i}`
  return response(read.subarray(300, 300 + 1024), {
    'content-type': fresh(`application/octet-stream${distinct}`),
    'content-length': fresh(`1024${distinct}`),
    'cache-control': fresh(`public, max-age=300${distinct}`),
    date: fresh(`Tue, 01 Dec 2026 12:00:00 GMT${distinct}`),
    server: fresh(`origin/1.2${distinct}`),
    'x-powered-by': fresh(`switchyard-test${distinct}`)
  })
}

t.test('what the store counts covers what its entries hold live (heap and buffers after a full GC)', async (t) => {
  const count = 20_000
  const store = new MemoryStore(1024 * 1024 * 1024)
  const before = liveBytes()
  for (let i = 0; i < count; i++) await store.set(`http://127.0.0.1:40000/1k?u=${i}`, forwarded(i, false), 60_000)
  const live = liveBytes() - before
  t.ok(store.bytes >= live, `counted ${(store.bytes / count).toFixed(0)} B per entry, live ${(live / count).toFixed(0)} B`)
  await store.close()
})

t.test('entries with the same header values share one copy of each', async (t) => {
  const count = 20_000
  const cost = async (sharedValues: boolean): Promise<number> => {
    const store = new MemoryStore(1024 * 1024 * 1024)
    const before = liveBytes()
    for (let i = 0; i < count; i++) await store.set(`http://127.0.0.1:40000/1k?u=${i}`, forwarded(i, sharedValues), 60_000)
    const perEntry = (liveBytes() - before) / count
    await store.close()
    return perEntry
  }
  const distinct = await cost(false)
  const shared = await cost(true)
  // Six values of 4–30 characters: a string each is ≥ 24 bytes of heap.
  t.ok(distinct - shared >= 6 * 24, `per entry: ${distinct.toFixed(0)} B with distinct values, ${shared.toFixed(0)} B with shared ones`)
})
