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
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import httpProxy from '@fastify/http-proxy'
import { buildGateway } from '../app.js'
import { loadConfig } from '../config/index.js'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const [kind, arg = '', extra = '{}'] = process.argv.slice(2)

/** Response bodies by path: `/1k`, `/64k`. */
const BODIES: Record<string, Buffer> = { '/1k': Buffer.alloc(1024, 'a'), '/64k': Buffer.alloc(64 * 1024, 'b') }

if (kind === 'backends') {
  const ports: number[] = []
  for (let i = 0; i < Number(arg); i++) {
    const server = createServer((req, res) => {
      const body = BODIES[(req.url ?? '').split('?')[0] as string] ?? BODIES['/1k'] as Buffer
      req.resume()
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'cache-control': 'public, max-age=300' })
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
} else if (kind === 'switchyard') {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'))
  const configPath = join(dir, 'config.json')
  writeFileSync(configPath, arg)
  const env = { GATEWAY_CONFIG: configPath, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'warn', ...JSON.parse(extra) as Record<string, string> }
  const app = await buildGateway(loadConfig(env), { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`READY ${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`)
} else {
  process.stderr.write(`unknown kind ${String(kind)}\n`)
  process.exit(2)
}
