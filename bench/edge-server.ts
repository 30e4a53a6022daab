/**
 * Processes for bench/edge.ts, one per child:
 *   node --import tsx bench/edge-server.ts backend
 *     → a backend answering a 16 KiB JSON body (compressible), cacheable.
 *   node --import tsx bench/edge-server.ts gateway <options-json>
 *     → the bundled app built from `env` (TLS, compression, cache by env vars),
 *       or, with `variants: false`, the same plugins assembled by hand with the
 *       compressed-variant store off (to price recompressing every cache hit).
 * Prints `READY <json>` once listening.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildGateway } from '../app.js'
import { loadConfig } from '../config/index.js'
import { pools } from '../plugins/pools/index.js'
import { responseCache } from '../plugins/cache/index.js'
import { compression } from '../plugins/compression/index.js'
import { securityHeaders } from '../plugins/security-headers/index.js'
import { gatewayRoutes } from '../routes/index.js'

const [kind, arg = '{}'] = process.argv.slice(2)

/** 16 KiB of JSON: typical API payload, compresses ~5-8x. */
export const BODY = Buffer.from(JSON.stringify({
  items: Array.from({ length: 160 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['alpha', 'beta', String(i % 7)], price: (i * 37) % 1000 }))
})).subarray(0, 16 * 1024)

if (kind === 'backend') {
  const server = createServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length, 'cache-control': 'public, max-age=600' })
    res.end(BODY)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  process.stdout.write(`READY ${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
} else if (kind === 'gateway') {
  const options = JSON.parse(arg) as { upstream: string, env?: Record<string, string>, variants?: boolean }
  let app: FastifyInstance
  if (options.variants === false) {
    app = Fastify()
    await app.register(pools, { pools: { bench: { targets: [options.upstream] } } })
    await app.register(responseCache, { store: 'memory', allRoutes: true })
    await app.register(securityHeaders, {})
    await app.register(compression, { maxVariantBytes: 0 })
    await app.register(gatewayRoutes, { routes: [{ path: '/', pool: 'bench' }] })
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'))
    const configPath = join(dir, 'config.json')
    writeFileSync(configPath, JSON.stringify({ pools: { bench: { targets: [options.upstream] } }, routes: [{ path: '/', pool: 'bench' }] }))
    const env = { GATEWAY_CONFIG: configPath, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'warn', ...options.env }
    app = await buildGateway(loadConfig(env), { logger: false })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`READY ${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`)
} else {
  process.stderr.write(`unknown kind ${String(kind)}\n`)
  process.exit(2)
}
