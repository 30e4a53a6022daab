/**
 * Regression: with 2 workers, a SIGHUP sent to the whole process group (a
 * terminal's hangup, `kill -HUP -PGID`, what a service manager may do)
 * reached the primary, which signalled every worker, and each worker
 * directly too: every worker reloaded twice. The primary now relays a reload
 * over IPC and the workers ignore a SIGHUP of their own, so each SIGHUP the
 * primary gets is one reload per worker.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/config-file.js'
import { startCluster, getOnce, killOnTeardown, sleep } from '../cluster/cluster.js'

// Spawns a 2-worker cluster (3 processes under tsx): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(180_000)

const configOf = (targets: string[]): unknown => ({ pools: { app: { targets } }, routes: [{ path: '/', pool: 'app' }] })

t.test('a SIGHUP to the primary and every worker at once reloads each worker once', async (t) => {
  const a = await startBackend('a')
  const b = await startBackend('b')
  t.teardown(async () => { await a.stop(); await b.stop() })
  const path = writeConfigFile(configOf([a.url]))
  const cluster = await startCluster({ GATEWAY_CONFIG: path })
  killOnTeardown(t, cluster)
  t.equal(cluster.workerPids.length, 2, 'two workers listen')

  writeFileSync(path, JSON.stringify(configOf([b.url])))
  // What a signal to the process group does: every process of it gets one.
  for (const pid of [cluster.pid, ...cluster.workerPids]) process.kill(pid, 'SIGHUP')
  const reloads = (): string[] => cluster.app.stdout().split('\n').filter((line) => line.includes('"msg":"config reloaded: version'))
  const deadline = Date.now() + 20_000
  while (reloads().length < 2 && Date.now() < deadline) await sleep(50)
  // A second reload per worker would follow at once: give it time to show.
  await sleep(2_000)
  t.equal(reloads().length, 2, 'two reloads in all: one per worker')
  for (const pid of cluster.workerPids) {
    t.equal(reloads().filter((line) => line.includes(`"pid":${pid}`)).length, 1, `worker ${pid} reloaded once`)
  }
  t.equal(cluster.app.child.exitCode, null, 'the cluster still runs')
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await getOnce(`${cluster.url}/after`)).status)
  t.same(statuses, [200, 200, 200, 200], 'requests are answered after the reload')
  t.equal(b.hitsByPath.get('/after'), 4, 'by the reloaded target')
})
