/**
 * The combined tier (README "Layer 4: the combined tier"): one Switchyard as
 * the L4 balancer (a `tcp` listener, PROXY protocol v2 to its targets) in
 * front of two Switchyard L7 reverse proxies that accept the PROXY protocol
 * (`GATEWAY_PROXY_PROTOCOL=on`, trusting only the balancer's address), share
 * one Redis (response cache and rate limits) and one sticky secret, and each
 * route to their own two backends.
 *
 * `startTier()` starts the four sample backends in this process and the three
 * gateways as child processes (`node --import tsx app.ts`, configured only by
 * environment variables and config files, as an operator would run them), on
 * free loopback ports unless told otherwise. Run it:
 *   redis-server --port 6379 --save '' &
 *   node --import tsx examples/tier/tier.ts            # or REDIS_URL=redis://… PORT=8080
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer, connect, type AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const APP = fileURLToPath(new URL('../../app.ts', import.meta.url))
/** Requests per minute per client on `/limited`, counted across both L7 instances (in Redis). */
export const TIER_RATE_LIMIT = 10
export const TIER_STICKY_COOKIE = 'sy_tier'

export interface TierBackend {
  name: string
  url: string
  hits: number
  server: Server
}

export interface TierGateway {
  name: string
  /** `http://127.0.0.1:PORT` of its main listener. */
  url: string
  port: number
  adminUrl: string
  child: ChildProcess
  /** SIGKILL, as a crash would. */
  kill: () => Promise<void>
}

export interface Tier {
  /** Where clients connect: the L4 balancer. */
  url: string
  l4: TierGateway
  l7: [TierGateway, TierGateway]
  /** a1, a2 behind the first L7 instance; b1, b2 behind the second. */
  backends: TierBackend[]
  stop: () => Promise<void>
}

export interface TierOptions {
  redisUrl: string
  /** Port of the L4 balancer (0 = a free one). */
  port?: number
  /** Sticky secret shared by both L7 instances (≥ 16 bytes). */
  stickySecret?: string
  /** Log level of the gateways. Default `warn`. */
  logLevel?: string
}

/** A sample backend: JSON naming itself, the path and the X-Forwarded-For it received; `/cached/*` is cacheable for 60 s. */
async function startBackend (name: string): Promise<TierBackend> {
  const backend = { name, hits: 0 } as TierBackend
  backend.server = createHttpServer((req, res) => {
    backend.hits++
    req.resume()
    const cacheable = req.url?.startsWith('/cached') === true
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheable ? 'public, max-age=60' : 'no-store' })
    res.end(JSON.stringify({ backend: name, url: req.url, xff: req.headers['x-forwarded-for'] ?? null }))
  })
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve))
  backend.url = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`
  return backend
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.on('connect', () => { socket.destroy(); resolve(true) })
    socket.on('error', () => { resolve(false) })
  })
}

/** Start `app.ts` with `env`; resolve once its admin `/health` answers and its main port accepts. */
async function startGateway (name: string, port: number, env: Record<string, string>): Promise<TierGateway> {
  const adminPort = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', APP], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), GATEWAY_ADMIN_PORT: String(adminPort), ...env }
  })
  const adminUrl = `http://127.0.0.1:${adminPort}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`)
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`${name} did not start within 30 s`) }
    const up = await fetch(`${adminUrl}/health`).then((res) => res.ok, () => false)
    if (up && await accepts(port)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  return { name, url: `http://127.0.0.1:${port}`, port, adminUrl, child, kill }
}

function writeJson (dir: string, name: string, content: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(content, null, 2))
  return path
}

export async function startTier (options: TierOptions): Promise<Tier> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tier-'))
  const backends = await Promise.all(['a1', 'a2', 'b1', 'b2'].map(startBackend))
  const started: TierGateway[] = []
  const stop = async (): Promise<void> => {
    for (const gateway of started.reverse()) await gateway.kill()
    for (const backend of backends) await new Promise((resolve) => backend.server.close(resolve))
  }
  try {
    const shared = {
      GATEWAY_PROXY_PROTOCOL: 'on',
      // Only the L4 balancer (it connects from 127.0.0.1) may send PROXY headers.
      GATEWAY_TRUST_PROXY: '127.0.0.1',
      GATEWAY_REDIS_URL: options.redisUrl,
      GATEWAY_STICKY_SECRET: options.stickySecret ?? 'tier-example-sticky-secret-0123456789',
      LOG_LEVEL: options.logLevel ?? 'warn'
    }
    const l7Ports = [await freePort(), await freePort()]
    const l7 = [] as unknown as [TierGateway, TierGateway]
    for (const [i, side] of ['a', 'b'].entries()) {
      // Same pool names and target ids on both instances: a sticky cookie (signed for pool
      // `sticky`, naming `app-1` or `app-2`) means the same slot on either of them.
      const targets = [1, 2].map((n) => ({ id: `app-${n}`, url: backends.find((b) => b.name === `${side}${n}`)?.url as string }))
      const config = writeJson(dir, `l7-${side}.json`, {
        pools: { app: { targets }, sticky: { targets, sticky: { cookie: TIER_STICKY_COOKIE } } },
        routes: [
          { path: '/limited', pool: 'app', rateLimit: { max: TIER_RATE_LIMIT, windowMs: 60_000 } },
          { path: '/cached', pool: 'app', cache: true },
          { path: '/sticky', pool: 'sticky' },
          { path: '/', pool: 'app' }
        ]
      })
      const gateway = await startGateway(`l7-${side}`, l7Ports[i] as number, { ...shared, GATEWAY_CONFIG: config, GATEWAY_CACHE: 'redis' })
      started.push(gateway)
      l7[i] = gateway
    }
    const l4Port = options.port ?? await freePort()
    const l4Config = writeJson(dir, 'l4.json', {
      pools: {
        l7: {
          targets: l7.map((g) => `tcp://127.0.0.1:${g.port}`),
          retries: 1,
          connectTimeoutMs: 500,
          health: { type: 'tcp', intervalMs: 200, timeoutMs: 300, healthyThreshold: 2, unhealthyThreshold: 1 },
          outlier: { consecutiveFailures: 1, ejectionMs: 10_000 }
        }
      },
      tcp: [{ port: l4Port, pool: 'l7', proxyProtocol: 'v2' }]
    })
    const l4 = await startGateway('l4', await freePort(), { GATEWAY_CONFIG: l4Config, LOG_LEVEL: options.logLevel ?? 'warn' })
    started.push(l4)
    // The L4 listener starts with the app; wait until it accepts too.
    while (!await accepts(l4Port)) await new Promise((resolve) => setTimeout(resolve, 50))
    return { url: `http://127.0.0.1:${l4Port}`, l4, l7, backends, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tier = await startTier({ redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', port: Number(process.env.PORT ?? 8080), logLevel: process.env.LOG_LEVEL ?? 'info' })
  process.stdout.write(`tier up: clients → ${tier.url} (L4, admin ${tier.l4.adminUrl})\n` +
    tier.l7.map((g) => `  ${g.name}: ${g.url} (admin ${g.adminUrl})\n`).join('') +
    tier.backends.map((b) => `  backend ${b.name}: ${b.url}\n`).join('') +
    `try: curl -s ${tier.url}/hello ; curl -si ${tier.url}/cached/x ; curl -si ${tier.url}/limited\n`)
  const shutdown = (): void => { tier.stop().then(() => process.exit(0), () => process.exit(1)) }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}
