/**
 * GATEWAY_WORKERS: a number from 1, or `auto` (one per core); a bad value
 * stops the start naming the variable. A cluster whose workers cannot start
 * stops too: exit 1, the worker's error on stderr, nothing left running.
 */
import t from 'tap'
import { availableParallelism } from 'node:os'
import { loadConfig } from '../../config/index.js'
import { ConfigError } from '../../lib/validate.js'
import { spawnApp } from '../app/spawn.js'

// Spawns 2-worker clusters (3 processes under tsx each): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

t.test('GATEWAY_WORKERS is read and checked', async (t) => {
  t.equal(loadConfig({}).env.workers, 1, 'default 1')
  t.equal(loadConfig({ GATEWAY_WORKERS: '4' }).env.workers, 4)
  t.equal(loadConfig({ GATEWAY_WORKERS: 'auto' }).env.workers, availableParallelism(), 'auto = one per core')
  for (const bad of ['0', 'two', '-1', '1.5', '100000']) {
    const error = (() => { try { loadConfig({ GATEWAY_WORKERS: bad }) } catch (err) { return err } })()
    t.ok(error instanceof ConfigError && error.field === 'GATEWAY_WORKERS' && error.message.includes(`"${bad}"`), `"${bad}" refused, naming GATEWAY_WORKERS`)
  }
})

t.test('a bad value stops the start with one line; so does a worker that cannot start', async (t) => {
  const bad = spawnApp({ GATEWAY_WORKERS: 'many', PORT: '0', GATEWAY_ADMIN_PORT: '0' })
  t.equal(await bad.exited, 1)
  t.match(bad.stderr(), /^switchyard: invalid configuration: GATEWAY_WORKERS must be "auto" or an integer from 1 to \d+, got "many"\n$/)

  // The TLS files are read by each worker at build: the workers fail, so does the start.
  const failing = spawnApp({ GATEWAY_WORKERS: '2', PORT: '0', HOST: '127.0.0.1', GATEWAY_ADMIN_PORT: '0', GATEWAY_UPSTREAMS: 'http://127.0.0.1:9', GATEWAY_TLS_CERT: '/nonexistent/cert.pem', GATEWAY_TLS_KEY: '/nonexistent/key.pem' })
  t.teardown(() => { if (failing.child.exitCode === null) failing.child.kill('SIGKILL') })
  t.equal(await failing.exited, 1, 'the primary exits 1')
  t.match(failing.stderr(), /GATEWAY_TLS_CERT/, 'the worker\'s error names the variable')
  t.match(failing.stderr(), /switchyard: failed to start: a worker exited/, 'the primary says why it stops')
  t.notMatch(failing.stdout(), /cluster ready/)
})
