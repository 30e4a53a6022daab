/**
 * 20 whole-config reloads in a row under load (8 clients looping GETs),
 * alternating between two configs that add and remove a pool and a route,
 * change targets and health settings: 0 failed requests, and afterwards no
 * growth in active handles (timers, sockets) or heap beyond a stated bound
 * (HEAP_GROWTH_BOUND_BYTES, measured after a full GC).
 */
import t from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { startBackends } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { startLoad } from '../helpers/load.js'
import { trackHandles } from '../helpers/handles.js'

/** Heap may grow this much over 20 reloads (caches, JIT, pino buffers); a leaked pool per reload would be far more. */
const HEAP_GROWTH_BOUND_BYTES = 16 * 1024 * 1024
/** Timers and sockets may differ by this many (a probe or a connection in progress at the moment of counting). */
const HANDLE_SLACK = 4

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const handles = trackHandles()
/** Idle keep-alive connections closed on every side (they hold timers of their own), then full GCs. */
const settle = async (servers: Array<{ closeIdleConnections: () => void }>): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    for (const server of servers) server.closeIdleConnections()
    gc()
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
}

t.test('20 reloads under load: 0 failures, no leaked handles or memory', async (t) => {
  const [a, b, c, d] = await startBackends(4)
  if (a === undefined || b === undefined || c === undefined || d === undefined) throw new Error('backends')
  const health = { path: '/health', intervalMs: 200, timeoutMs: 500 }
  const configA = { pools: { app: { targets: [a.url, b.url], health } }, routes: [{ path: '/', pool: 'app' }] }
  const configB = {
    pools: { app: { targets: [a.url, c.url], health: { ...health, intervalMs: 300 }, outlier: { consecutiveFailures: 3 } }, extra: { targets: [d.url], health } },
    routes: [{ path: '/', pool: 'app' }, { path: '/extra', pool: 'extra', stripPrefix: true }]
  }
  const gw = await startAppGateway({ GATEWAY_CONFIG: writeConfigFile(configA) })
  t.teardown(async () => { await gw.close(); for (const x of [a, b, c, d]) await x.stop() })
  const reload = gw.app.switchyardConfig
  const urls = [`${gw.url}/x`, `${gw.url}/extra/x`]

  // Warm-up in config A, so that the baseline has the JIT, the client's connections and the checkers' timers.
  const warm = await startLoad(urls, { clients: 8, maxRequests: 40 }).stop()
  t.same(warm.failures, [])
  await settle([gw.app.server, ...[a, b, c, d].map((x) => x.server)])
  const handlesBefore = handles()
  const heapBefore = process.memoryUsage().heapUsed

  const load = startLoad(urls, { clients: 8, maxMs: 60_000 })
  for (let i = 0; i < 20; i++) {
    const result = await reload.replace(i % 2 === 0 ? configB : configA)
    t.equal(result.configVersion, i + 2, `reload ${i + 1} applied`)
    // Each reload happens under load: wait for the clients to make some requests between two.
    const target = load.requests + 16
    while (load.requests < target) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const result = await load.stop()
  t.same(result.failures, [], `0 failures in ${result.requests} requests during 20 reloads`)
  t.ok(result.requests >= 20 * 16, `requests kept flowing (${result.requests})`)
  t.same(gw.app.switchyard.pools.names(), ['app'], 'back to config A')

  // Removed pools retire 1 s after the swap that removed them (their timers end then): let that pass.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await settle([gw.app.server, ...[a, b, c, d].map((x) => x.server)])
  const handlesAfter = handles()
  const heapAfter = process.memoryUsage().heapUsed
  for (const kind of ['Timeout (live, unref included)', 'TCPSocketWrap', 'TCPServerWrap']) {
    const before = handlesBefore[kind] ?? 0
    const after = handlesAfter[kind] ?? 0
    t.ok(after <= before + HANDLE_SLACK, `${kind}: ${before} before, ${after} after (slack ${HANDLE_SLACK})`)
  }
  t.comment(`heap ${(heapBefore / 1048576).toFixed(1)} MiB before, ${(heapAfter / 1048576).toFixed(1)} MiB after; handles before ${JSON.stringify(handlesBefore)}, after ${JSON.stringify(handlesAfter)}`)
  t.ok(heapAfter - heapBefore < HEAP_GROWTH_BOUND_BYTES, `heap grew ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB (bound ${HEAP_GROWTH_BOUND_BYTES / 1048576} MiB)`)
})
