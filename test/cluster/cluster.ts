/**
 * Helpers for the cluster tests: the bundled app spawned with
 * `GATEWAY_WORKERS=2` (see test/app/spawn.ts), waited for until every worker
 * listens, and requests sent each on a new connection (`Connection: close`),
 * so that the primary's round-robin hands them to alternate workers.
 */
import { spawnApp, type SpawnedApp } from '../app/spawn.js'
import { getRaw, type RawResponse } from '../helpers/get.js'

/** Start-up bound for two workers under tsx on a loaded 2-core machine. */
export const CLUSTER_START_TIMEOUT_MS = 60_000

export interface TestCluster {
  app: SpawnedApp
  /** The proxy listener, shared by the workers. */
  url: string
  /** The primary's admin listener. */
  adminUrl: string
  /** pids of the workers listening at start. */
  workerPids: number[]
  /** The primary's pid. */
  pid: number
  /** pids of the workers that logged an access line for a request to `path` so far. */
  servedBy: (path: string) => Set<number>
}

export async function startCluster (env: Record<string, string>): Promise<TestCluster> {
  const app = spawnApp({ PORT: '0', HOST: '127.0.0.1', GATEWAY_ADMIN_PORT: '0', GATEWAY_WORKERS: '2', ...env })
  const ready = await app.waitForLog(/^cluster ready/, CLUSTER_START_TIMEOUT_MS)
  const entries = logEntries(app)
  const listening = entries.find((e) => e.listener === undefined && /^Server listening at http:\/\/127\.0\.0\.1:\d+$/.test(String(e.msg)))
  const admin = entries.find((e) => e.listener === 'admin' && /^Server listening at/.test(String(e.msg)))
  const port = /:(\d+)$/.exec(String(listening?.msg))?.[1]
  const adminPort = /:(\d+)$/.exec(String(admin?.msg))?.[1]
  if (port === undefined || adminPort === undefined) throw new Error(`no listener address in the logs: ${app.stdout()}`)
  const workerPids = entries.filter((e) => e.msg === 'worker listening').map((e) => Number(e.workerPid))
  const servedBy = (path: string): Set<number> =>
    new Set(logEntries(app).filter((e) => e.msg === 'access' && e.path === path).map((e) => Number(e.pid)))
  return { app, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, workerPids, pid: Number(ready.pid), servedBy }
}

/** Every JSON log line so far. */
export function logEntries (app: SpawnedApp): Array<Record<string, unknown>> {
  return app.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** A GET on a new connection (closed after it). */
export async function getOnce (url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return await getRaw(url, { connection: 'close', ...headers })
}

export async function json<T> (url: string): Promise<T> {
  return JSON.parse((await getOnce(url)).body.toString()) as T
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Stop the app when the test ends, whatever happened. */
export function killOnTeardown (t: { teardown: (fn: () => void | Promise<void>) => void }, cluster: { app: SpawnedApp }): void {
  t.teardown(async () => {
    if (cluster.app.child.exitCode === null) {
      cluster.app.child.kill('SIGKILL')
      await cluster.app.exited
    }
  })
}

/** Wait until every one of `workers` workers logged `config reloaded: version N`; false at the deadline. */
export async function waitForReloads (cluster: { app: SpawnedApp }, version: number, workers = 2, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  const reloaded = (): number => logEntries(cluster.app).filter((e) => e.msg === `config reloaded: version ${version}`).length
  while (reloaded() < workers && Date.now() < deadline) await sleep(50)
  return reloaded() >= workers
}

/** The port of the L4 listener `protocol` the workers logged ready (`l4 listeners ready`), the first of that protocol. */
export function l4Port (cluster: { app: SpawnedApp }, protocol: 'tcp' | 'udp'): number {
  for (const entry of logEntries(cluster.app)) {
    if (entry.msg !== 'l4 listeners ready' || !Array.isArray(entry.listeners)) continue
    for (const listener of entry.listeners as string[]) {
      const match = new RegExp(`^${protocol} .*:(\\d+)$`).exec(listener)
      if (match !== null) return Number(match[1])
    }
  }
  throw new Error(`no ${protocol} listener in the logs: ${cluster.app.stdout()}`)
}

/** pids of the processes that logged `msg` (e.g. `tcp access`) for which `accept` holds. */
export function loggedBy (cluster: { app: SpawnedApp }, msg: string, accept: (entry: Record<string, unknown>) => boolean = () => true): number[] {
  return logEntries(cluster.app).filter((e) => e.msg === msg && accept(e)).map((e) => Number(e.pid))
}

/**
 * Counts the probes (arrival times, pushed as they come) over the next
 * `windowMs` and checks they come from one health checker of `intervalMs`,
 * not one per worker. Each interval is 90–100 % of `intervalMs` (jitter), so
 * one checker makes at most window / (0.9 × interval) + 1 probes in the
 * window, two twice that; and two checkers of any phase leave gaps that sum to
 * the period in pairs, so every other gap is under half of it, where one
 * checker's are 0.9–1 × the interval (less one short gap for a probe late
 * under load).
 */
export async function checkOneChecker (t: { ok: (value: unknown, message: string) => void }, probes: number[], intervalMs: number, windowMs = 4000): Promise<void> {
  const from = Date.now()
  await sleep(windowMs)
  const inWindow = probes.filter((at) => at >= from && at < from + windowMs).length
  const oneChecker = Math.floor(windowMs / (0.9 * intervalMs)) + 1
  t.ok(inWindow <= oneChecker, `${inWindow} probes in ${windowMs} ms: at most ${oneChecker} (one checker); a checker per worker would make ~${2 * Math.round(windowMs / intervalMs)}`)
  t.ok(inWindow >= 3, `${inWindow} probes in ${windowMs} ms: the target is checked`)
  const gaps = probes.slice(1).map((at, i) => at - (probes[i] as number))
  const shortGaps = gaps.filter((gap) => gap < 0.45 * intervalMs).length
  t.ok(shortGaps <= 1, `${shortGaps} of ${gaps.length} gaps between probes under ${0.45 * intervalMs} ms (two checkers: about half)`)
}
