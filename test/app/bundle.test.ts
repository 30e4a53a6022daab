/**
 * `npm start` runs the esbuild bundle (dist/bundle/start.js, scripts/bundle.mjs):
 * it forwards from a config file, refuses invalid ones with the same messages
 * from the validators compiled at build time, starts the demo (a lazily loaded chunk),
 * runs GATEWAY_WORKERS=2 (the workers are forked from the bundle's entry) and
 * stops cleanly on SIGTERM; the bundled `switchyard` command (package.json
 * `bin`) answers too.
 */
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/config-file.js'
import { ROOT, ensureBuilt, runCli } from '../helpers/cli.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string, bin: Record<string, string>, scripts: Record<string, string> }

/** package.json's `start` script, run as npm runs it but without npm. */
function spawnStart (env: Record<string, string>): { child: ChildProcess, stdout: () => string } {
  const [node, ...args] = (pkg.scripts.start ?? '').trim().split(/\s+/)
  if (node !== 'node') throw new Error(`start is not a node command: ${String(pkg.scripts.start)}`)
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', GATEWAY_ADMIN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (c: Buffer) => { out += c.toString() })
  return { child, stdout: () => out }
}

/** The gateway's own port, from its `Server listening` log lines (not the admin listener's). */
async function gatewayPort (started: { child: ChildProcess, stdout: () => string }, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && started.child.exitCode === null) {
    for (const line of started.stdout().split('\n')) {
      if (!line.startsWith('{')) continue
      const entry = JSON.parse(line) as { msg?: string, listener?: string }
      const port = entry.listener === undefined ? /^Server listening at http:\/\/127\.0\.0\.1:(\d+)$/.exec(entry.msg ?? '')?.[1] : undefined
      if (port !== undefined) return port
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the gateway did not listen; stdout: ${started.stdout()}`)
}

const exitOf = async (child: ChildProcess): Promise<number | null> =>
  child.exitCode ?? await new Promise((resolve) => child.once('exit', (code) => resolve(code)))

t.before(() => { ensureBuilt() })

t.test('npm start runs the bundle: a config file route forwards, SIGTERM exits 0', async (t) => {
  t.match(pkg.scripts.start, /dist\/bundle\//, 'the start script names the bundle')
  const backend = await startBackend('b1')
  const started = spawnStart({ GATEWAY_CONFIG: writeConfigFile({ pools: { app: { targets: [backend.url] } }, routes: [{ path: '/', pool: 'app' }] }) })
  t.teardown(async () => { started.child.kill('SIGKILL'); await backend.stop() })
  const port = await gatewayPort(started)
  const res = await fetch(`http://127.0.0.1:${port}/hello`)
  t.equal(res.status, 200)
  t.equal(((await res.json()) as { backend: string }).backend, 'b1', 'forwarded to the configured pool')
  started.child.kill('SIGTERM')
  t.equal(await exitOf(started.child), 0, 'SIGTERM stops it cleanly')
})

t.test('the bundle validates with build-time validators: an invalid config stops the start with one line naming the field', async (t) => {
  const pool = { targets: ['http://127.0.0.1:9'] }
  const cases: Array<[string, unknown, string]> = [
    ['an unknown balancer', { pools: { api: { ...pool, balancer: 'nope' } }, routes: [{ path: '/', pool: 'api' }] }, 'GATEWAY_CONFIG.pools.api.balancer must be one of: round-robin, weighted-round-robin, least-connections, power-of-two, random, consistent-hash, peak-ewma'],
    ['an unknown route option', { pools: { api: pool }, routes: [{ path: '/', pool: 'api', bogus: 1 }] }, 'GATEWAY_CONFIG.routes.0.bogus is not a known option'],
    ['no pools', { routes: [{ path: '/', pool: 'api' }] }, 'GATEWAY_CONFIG.pools is required'],
    ['a weight of the wrong type', { pools: { api: { targets: [{ url: 'http://127.0.0.1:9', weight: 'x' }] } }, routes: [{ path: '/', pool: 'api' }] }, 'GATEWAY_CONFIG.pools.api.targets.0']
  ]
  for (const [what, config, message] of cases) {
    const started = spawnStart({ GATEWAY_CONFIG: writeConfigFile(config) })
    let stderr = ''
    started.child.stderr?.on('data', (c: Buffer) => { stderr += c.toString() })
    t.teardown(() => { started.child.kill('SIGKILL') })
    t.equal(await exitOf(started.child), 1, `${what}: exit 1`)
    t.ok(stderr.startsWith(`switchyard: invalid configuration: ${message}`), `${what}: ${stderr.trim()}`)
    t.equal(stderr.trim().split('\n').length, 1, `${what}: one line`)
  }
})

t.test('the bundle starts the demo (its backends are a chunk loaded only then)', async (t) => {
  const started = spawnStart({})
  t.teardown(() => { started.child.kill('SIGKILL') })
  const port = await gatewayPort(started)
  const res = await fetch(`http://127.0.0.1:${port}/hello`)
  t.equal(res.status, 200)
  t.match(((await res.json()) as { backend: string }).backend, /^demo-backend-\d$/)
})

t.test('the bundle runs GATEWAY_WORKERS=2: workers forked from its entry forward', async (t) => {
  const backend = await startBackend('b1')
  const started = spawnStart({ GATEWAY_WORKERS: '2', GATEWAY_UPSTREAMS: backend.url })
  t.teardown(async () => { started.child.kill('SIGKILL'); await backend.stop() })
  const deadline = Date.now() + 30_000
  while (!started.stdout().includes('cluster ready') && Date.now() < deadline && started.child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.match(started.stdout(), /cluster ready: 2 workers listening/)
  const port = await gatewayPort(started)
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } })
    t.equal(res.status, 200, `request ${i + 1}`)
    await res.arrayBuffer()
  }
  started.child.kill('SIGTERM')
  t.equal(await exitOf(started.child), 0, 'SIGTERM drains the workers and exits 0')
})

t.test('package.json bin is the bundled command', async (t) => {
  t.match(pkg.bin.switchyard, /dist\/bundle\//)
  const result = await runCli(['--version'])
  t.equal(result.code, 0, result.stderr)
  t.equal(result.stdout, `switchyard ${pkg.version}\n`)
})
