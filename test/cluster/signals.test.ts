/**
 * With 2 workers, signals to the primary reach every worker: SIGHUP reloads
 * the config file in both (a target list change takes effect in both), and
 * SIGTERM drains both — slow requests in flight on each worker complete —
 * and the primary exits 0.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/config-file.js'
import { startCluster, getOnce, killOnTeardown, sleep } from './cluster.js'

// Spawns 2-worker clusters (3 processes under tsx each): a loaded 2-core CI machine needs more than tap's default.
t.setTimeout(300_000)

const configOf = (targets: string[]): unknown => ({ pools: { app: { targets } }, routes: [{ path: '/', pool: 'app' }] })

t.test('SIGHUP reloads the target list in both workers', async (t) => {
  const a = await startBackend('a')
  const c = await startBackend('c')
  t.teardown(async () => { await a.stop(); await c.stop() })
  const path = writeConfigFile(configOf([a.url]))
  const cluster = await startCluster({ GATEWAY_CONFIG: path })
  killOnTeardown(t, cluster)

  for (let i = 0; i < 4; i++) await getOnce(`${cluster.url}/before`)
  t.equal(a.hitsByPath.get('/before'), 4, 'a serves before the reload')

  writeFileSync(path, JSON.stringify(configOf([c.url])))
  cluster.app.child.kill('SIGHUP')
  const reloads = async (): Promise<number> => cluster.app.stdout().split('\n').filter((line) => line.includes('"msg":"config reloaded: version')).length
  const deadline = Date.now() + 15_000
  while (await reloads() < 2 && Date.now() < deadline) await sleep(50)
  t.equal(await reloads(), 2, 'both workers reloaded')

  const statuses: number[] = []
  for (let i = 0; i < 8; i++) statuses.push((await getOnce(`${cluster.url}/after`)).status)
  t.same(statuses, Array(8).fill(200))
  t.equal(c.hitsByPath.get('/after'), 8, 'every request went to the new target c')
  t.equal(a.hitsByPath.get('/after'), undefined, 'none to the removed target a')
  t.same([...cluster.servedBy('/after')].sort(), [...cluster.workerPids].sort(), 'both workers served after the reload')
  t.equal(cluster.app.child.exitCode, null, 'still running')
})

t.test('SIGTERM drains both workers: in-flight slow requests complete, exit 0', async (t) => {
  const arrived = { count: 0 }
  const backend = await startBackend('slow', (req, res) => {
    req.resume()
    arrived.count++
    setTimeout(() => res.end(JSON.stringify({ done: true })), 1500)
  })
  t.teardown(async () => { await backend.stop() })
  const cluster = await startCluster({ GATEWAY_UPSTREAMS: backend.url })
  killOnTeardown(t, cluster)

  // Four slow requests on four connections: round-robin puts two on each worker.
  const inFlight = [0, 1, 2, 3].map(async () => await getOnce(`${cluster.url}/slow`))
  const deadline = Date.now() + 10_000
  while (arrived.count < 4 && Date.now() < deadline) await sleep(20)
  t.equal(arrived.count, 4, 'four requests reached the backend')

  cluster.app.child.kill('SIGTERM')
  const responses = await Promise.all(inFlight)
  t.same(responses.map((r) => r.status), [200, 200, 200, 200], 'every in-flight request completed')
  t.same(responses.map((r) => JSON.parse(r.body.toString())), Array(4).fill({ done: true }))
  t.equal(await cluster.app.exited, 0, 'the primary exited 0')
  t.same([...cluster.servedBy('/slow')].sort(), [...cluster.workerPids].sort(), 'both workers had requests in flight')
  t.match(cluster.app.stdout(), /all workers finished: exiting/)
})
