/**
 * `switchyard --config FILE` runs the gateway with FILE as GATEWAY_CONFIG.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/config-file.js'
import { CLI, ensureBuilt } from '../helpers/cli.js'

t.test('the CLI starts the gateway from --config and forwards', async (t) => {
  ensureBuilt()
  const backend = await startBackend('b1')
  const path = writeConfigFile({ pools: { app: { targets: [backend.url] } }, routes: [{ path: '/', pool: 'app' }] })
  const child = spawn(process.execPath, [CLI, '--config', path], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', GATEWAY_ADMIN_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(async () => { child.kill('SIGKILL'); await backend.stop() })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  const deadline = Date.now() + 30_000
  let port: string | undefined
  while (port === undefined && Date.now() < deadline && child.exitCode === null) {
    for (const line of out.split('\n')) {
      if (!line.startsWith('{')) continue
      const entry = JSON.parse(line) as { msg?: string, listener?: string }
      if (entry.listener === undefined) port ??= /^Server listening at http:\/\/127\.0\.0\.1:(\d+)$/.exec(entry.msg ?? '')?.[1]
    }
    if (port === undefined) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(port, 'the gateway listens')
  const res = await fetch(`http://127.0.0.1:${String(port)}/hello`)
  t.equal(res.status, 200)
  t.equal(((await res.json()) as { backend: string }).backend, 'b1', 'forwarded to the configured pool')
})
