/**
 * prom-client loads on the first `/metrics` scrape, not at start, and the
 * first scrape still counts everything that came before it: the requests a
 * target served and a config reload applied before anyone scraped.
 * Runs the bundled app in a child process of its own, so that nothing else
 * has loaded prom-client there.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/config-file.js'

const APP = fileURLToPath(new URL('../../app.ts', import.meta.url))

// In the child: start the gateway, forward 5 requests, reload once, then report
// whether prom-client was loaded before and after the first scrape, and that scrape.
const CHILD = `
import { createRequire } from 'node:module'
const { startGateway } = await import(${JSON.stringify(APP)})
const loaded = () => Object.keys(createRequire(process.cwd() + '/').cache).some((file) => file.includes('/prom-client/'))
const { app, stop } = await startGateway(process.env, { logger: false })
const { port } = app.server.address()
for (let i = 0; i < 5; i++) await (await fetch('http://127.0.0.1:' + port + '/')).text()
await app.switchyardConfig.reloadFile()
const before = loaded()
const admin = app.switchyardAdmin.server.address()
const scrape = await (await fetch('http://127.0.0.1:' + admin.port + '/metrics')).text()
process.stdout.write(JSON.stringify({ before, after: loaded(), scrape }))
await stop()
`

t.test('no prom-client until the first scrape, which counts what came before', async (t) => {
  const backend = await startBackend('b1')
  t.teardown(async () => { await backend.stop() })
  const config = writeConfigFile({ pools: { app: { targets: [backend.url] } }, routes: [{ path: '/', pool: 'app' }] })
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', GATEWAY_ADMIN_PORT: '0', GATEWAY_CONFIG: config },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(timer)
  t.equal(code, 0, err)
  const result = JSON.parse(out) as { before: boolean, after: boolean, scrape: string }
  t.equal(result.before, false, 'prom-client is not loaded by a start, 5 requests and a reload')
  t.equal(result.after, true, 'the first scrape loads it')
  t.match(result.scrape, /switchyard_target_requests_total\{pool="app",target="[^"]+"\} 5\n/, 'the 5 requests before the first scrape are counted')
  t.match(result.scrape, /switchyard_config_reloads_total\{result="applied"\} 1\n/, 'and the reload')
  t.match(result.scrape, /switchyard_process_cpu_seconds_total \d/, 'default metrics are there')
})
