/**
 * Regression (issue 10, item 6): with default settings (two targets, no
 * health checks, no outlier config) a backend killed with SIGKILL under load
 * gave 22 % 502s: the dead target kept half the picks, and once the retry
 * budget was spent every refused connect became a 502. Now a refused
 * connect takes the target out for 10 s (nginx's `max_fails=1
 * fail_timeout=10s`) and is always tried on another target (nothing was
 * sent, so no budget is asked).
 *
 * The victim is a real child process, killed with SIGKILL mid-load.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { runLoad } from '../helpers/health.js'

/** A backend in its own process: answers after 2 ms; prints its port. */
const BACKEND_SOURCE = `
const http = require('node:http')
const server = http.createServer((req, res) => {
  req.resume()
  setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('victim') }, 2)
})
server.listen(0, '127.0.0.1', () => { process.stdout.write(String(server.address().port) + '\\n') })
`
const LOAD_MS = 4000
const KILL_AFTER_MS = 1000
const CONCURRENCY = 10

t.test('one of two targets SIGKILLed under load on defaults: no error responses', async (t) => {
  const victim = spawn(process.execPath, ['-e', BACKEND_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (victim.exitCode === null && victim.signalCode === null) victim.kill('SIGKILL') })
  const victimPort = await new Promise<string>((resolve, reject) => {
    victim.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))
    victim.once('exit', () => reject(new Error('backend process exited before listening')))
  })
  const survivor = await startBackend('survivor', (req, res) => {
    req.resume()
    setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('survivor') }, 2)
  })
  const config = writeConfigFile({ pools: { p: { targets: [`http://127.0.0.1:${victimPort}`, survivor.url] } }, routes: [{ path: '/', pool: 'p' }] })
  const gw = await startAppGateway({ GATEWAY_CONFIG: config })
  t.teardown(async () => { await gw.close(); await survivor.stop() })

  const killer = setTimeout(() => { victim.kill('SIGKILL') }, KILL_AFTER_MS)
  const outcome = await runLoad(`${gw.url}/work`, 1_000_000, CONCURRENCY, LOAD_MS)
  clearTimeout(killer)
  const ok = outcome.statuses.get(200) ?? 0
  const errors = outcome.completed - ok
  const rate = errors / outcome.completed
  t.comment(`${outcome.completed} requests in ${LOAD_MS} ms at concurrency ${CONCURRENCY}; statuses ${JSON.stringify([...outcome.statuses])}; error rate ${(rate * 100).toFixed(3)} %`)

  t.equal(victim.signalCode, 'SIGKILL', 'the victim was killed mid-load')
  t.ok(outcome.completed > 200, `enough requests to mean something (${outcome.completed})`)
  t.equal(errors, 0, `no response but 200 (error rate ${(rate * 100).toFixed(3)} %)`)
  const dead = gw.app.switchyard.pools.get('p')?.targets[0]
  t.equal(dead?.condition, 'ejected', `the dead target is out of rotation (${String(dead?.reason)})`)
})
