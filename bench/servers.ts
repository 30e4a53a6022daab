/**
 * Processes the benchmarks measure, one per child process so that the load
 * generator, the backends and the proxy under test don't share an event loop.
 *
 *   node --import tsx bench/servers.ts backends <count>
 *   node --import tsx bench/servers.ts canned-backends <count>
 *   node --import tsx bench/servers.ts bare-proxy <upstream-url>
 *   node --import tsx bench/servers.ts lean-dispatch <upstream-url>
 *   node --import tsx bench/servers.ts switchyard <config-json> [env-json, may name BENCH_DIST]
 *
 * Prints `READY <json>` on stdout once listening.
 */
import { Agent, createServer, request } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import Fastify from 'fastify'
import httpProxy from '@fastify/http-proxy'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getHeapSpaceStatistics } from 'node:v8'
import { exposedCollection } from '../lib/idle-collector.js'

const [kind, arg = '', extra = '{}'] = process.argv.slice(2)

/** Response bodies by path: `/1k`, `/64k` (binary), `/64k-text` (compressible JSON). */
const BODIES: Record<string, Buffer> = { '/1k': Buffer.alloc(1024, 'a'), '/64k': Buffer.alloc(64 * 1024, 'b'), '/64k-text': jsonBody(64 * 1024) }

function jsonBody (bytes: number): Buffer {
  const items: string[] = []
  let size = 2
  for (let i = 0; size < bytes; i++) {
    const item = JSON.stringify({ id: i, name: `item ${i}`, tags: ['alpha', 'beta', i % 7 === 0 ? 'gamma' : 'delta'], price: (i * 37) % 1000 / 10, inStock: i % 3 !== 0 })
    items.push(item)
    size += item.length + 1
  }
  return Buffer.from(`[${items.join(',')}]`.slice(0, bytes - 1) + ']')
}

// BENCH_AGED=1: `kill -WINCH` runs one full collection (bench/forwarding.ts sends it after the
// warm-up), so that a server is measured after its first major GC, as a long-running one is.
if (process.env.BENCH_AGED === '1') {
  const collect = exposedCollection()
  process.on('SIGWINCH', () => { collect() })
}

if (kind === 'backends') {
  const ports: number[] = []
  for (let i = 0; i < Number(arg); i++) {
    const server = createServer((req, res) => {
      const body = BODIES[(req.url ?? '').split('?')[0] as string] ?? BODIES['/1k'] as Buffer
      req.resume()
      const type = body === BODIES['/64k-text'] ? 'application/json' : 'application/octet-stream'
      res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'public, max-age=300' })
      res.end(body)
    })
    server.keepAliveTimeout = 60_000
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    ports.push((server.address() as AddressInfo).port)
  }
  process.stdout.write(`READY ${JSON.stringify({ ports })}\n`)
} else if (kind === 'canned-backends') {
  // The same responses as `backends`, written by a raw node:net server from
  // prepared bytes: ~4 µs of CPU per request against node:http's ~20. For a
  // bench whose load generator and backends share one core with the proxy
  // under test (bench/workers.ts), so that the backends' own cost doesn't
  // decide how busy the proxy can get. Requests without a body only (GET).
  const canned = new Map<string, Buffer>()
  for (const [path, body] of Object.entries(BODIES)) {
    const type = path === '/64k-text' ? 'application/json' : 'application/octet-stream'
    const head = `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${body.length}\r\ncache-control: public, max-age=300\r\nkeep-alive: timeout=60\r\n\r\n`
    canned.set(path, Buffer.concat([Buffer.from(head, 'latin1'), body]))
  }
  const fallback = canned.get('/1k') as Buffer
  const ports: number[] = []
  for (let i = 0; i < Number(arg); i++) {
    const server = createNetServer((socket) => {
      let pending = ''
      socket.setNoDelay(true)
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1')
        for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
          // The request line is `METHOD TARGET HTTP/1.1`.
          const target = pending.slice(0, pending.indexOf('\r\n')).split(' ')[1]?.split('?')[0] ?? ''
          socket.write(canned.get(target) ?? fallback)
          pending = pending.slice(end + 4)
        }
      })
      socket.on('error', () => { socket.destroy() })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    ports.push((server.address() as AddressInfo).port)
  }
  process.stdout.write(`READY ${JSON.stringify({ ports })}\n`)
} else if (kind === 'bare-proxy') {
  const app = Fastify()
  await app.register(httpProxy, { upstream: arg })
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`READY ${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`)
} else if (kind === 'pipe-proxy') {
  // The 10-line node:http proxy: what forwarding costs with nothing else.
  const upstream = new URL(arg)
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 })
  const server = createServer((req, res) => {
    const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.pipe(res)
    })
    up.on('error', () => { res.destroy() })
    req.pipe(up)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  process.stdout.write(`READY ${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
} else if (kind === 'lean-dispatch') {
  // The floor on this stack: one Fastify route, reply.hijack() and undici's
  // dispatch with a raw handler writing to the client's response (no retries,
  // timeouts, health or header hygiene). Switchyard's forwarder is measured against it.
  const { Agent: UndiciAgent } = await import('undici')
  const upstream = new URL(arg).origin
  const dispatcher = new UndiciAgent({ connections: 1024, pipelining: 1 })
  const app = Fastify()
  app.all('/*', {
    onRequest (request, reply) {
      reply.hijack()
      const res = reply.raw
      dispatcher.dispatch({ origin: upstream, path: request.raw.url as string, method: request.raw.method as 'GET', headers: request.raw.rawHeaders, body: null }, {
        onConnect () {},
        onError () { if (!res.headersSent) res.writeHead(502); res.end() },
        onHeaders (statusCode, raw, resume) {
          const head: string[] = []
          for (let i = 0; i < raw.length; i += 2) {
            const name = (raw[i] as Buffer).toString('latin1')
            if (name.toLowerCase() === 'connection' || name.toLowerCase() === 'keep-alive') continue
            head.push(name, (raw[i + 1] as Buffer).toString('latin1'))
          }
          res.writeHead(statusCode, head)
          res.on('drain', resume)
          return true
        },
        onData (chunk) { return res.write(chunk) },
        onComplete () { res.end() }
      })
    }
  }, () => {})
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`READY ${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`)
} else if (kind === 'switchyard') {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'))
  const configPath = join(dir, 'config.json')
  writeFileSync(configPath, arg)
  const { BENCH_DIST: dist = '../dist', ...overrides } = JSON.parse(extra) as Record<string, string>
  const env = { GATEWAY_CONFIG: configPath, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'warn', ...overrides }
  // The built code users run (`npm run build` first), not tsx's transform of the sources: tsx
  // adds a `__name` call per closure made, which costs the hot path ~2 % that users never pay.
  // `BENCH_DIST` in the env JSON: another build (a copy of `dist/` before a change, for an A/B).
  const { buildGateway } = await import(`${dist}/app.js`) as typeof import('../app.js')
  const { loadConfig } = await import(`${dist}/config/index.js`) as typeof import('../config/index.js')
  // What `main()` sets up in the gateway's own process: V8 flags, the idle collector (a build from before them has none).
  const tuning = await import(`${dist}/lib/v8-tuning.js`).catch(() => undefined) as typeof import('../lib/v8-tuning.js') | undefined
  tuning?.tuneV8ForGateway()
  const idle = await import(`${dist}/lib/idle-collector.js`).catch(() => undefined) as typeof import('../lib/idle-collector.js') | undefined
  idle?.startIdleCollector()
  // Logging as the bundled app does it (pino to stdout, at LOG_LEVEL), so its cost is in the figures.
  const app = await buildGateway(loadConfig(env))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const memoryFile = process.env.BENCH_MEMORY_FILE
  if (memoryFile !== undefined) {
    // `kill -USR2`: where the process's memory is (RSS, V8 heap, off-heap buffers), written to BENCH_MEMORY_FILE.
    process.on('SIGUSR2', () => {
      // Started with --expose-gc and BENCH_MEMORY_GC=1: collect first, so the heap figures are what lives.
      const collect = (globalThis as { gc?: () => void }).gc
      if (process.env.BENCH_MEMORY_GC === '1' && collect !== undefined) collect()
      const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]))
      const store = app.switchyard.cache?.store as { bytes?: number, size?: number } | undefined
      writeFileSync(memoryFile, JSON.stringify({ ...process.memoryUsage(), spaces, cacheBytes: store?.bytes, cacheItems: store?.size }))
    })
  }
  process.stdout.write(`READY ${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`)
} else {
  process.stderr.write(`unknown kind ${String(kind)}\n`)
  process.exit(2)
}
