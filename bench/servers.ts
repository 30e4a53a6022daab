/**
 * Processes the benchmarks measure, one per child process so that the load
 * generator, the backends and the proxy under test don't share an event loop.
 *
 *   node --import tsx bench/servers.ts backends <count>
 *   node --import tsx bench/servers.ts bare-proxy <upstream-url>
 *   node --import tsx bench/servers.ts switchyard <config-json> [env-json]
 *
 * Prints `READY <json>` on stdout once listening.
 */
import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import httpProxy from '@fastify/http-proxy'
import { buildGateway } from '../app.js'
import { loadConfig } from '../config/index.js'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getHeapSpaceStatistics } from 'node:v8'

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
} else if (kind === 'switchyard') {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'))
  const configPath = join(dir, 'config.json')
  writeFileSync(configPath, arg)
  const env = { GATEWAY_CONFIG: configPath, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'warn', ...JSON.parse(extra) as Record<string, string> }
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
