/**
 * Running the bundled gateway on several cores (`GATEWAY_WORKERS` > 1):
 * loaded by `main()` in app.ts only then. The process that starts is the
 * primary (`primary.ts`); the processes it forks run the same entry and
 * become workers (`worker.ts`).
 */
import cluster from 'node:cluster'
import type { Env } from '../config/index.js'
import { startPrimary } from './primary.js'
import { startWorker, type StartGateway } from './worker.js'

export interface RunClusterOptions {
  workers: number
  /** Each worker's drain time on SIGTERM. */
  graceMs: number
  /** app.ts's `startGateway` (passed in: this folder does not import the app). */
  startGateway: StartGateway
}

/** Start the primary or, in a forked process, a worker; each handles its own signals from then on. */
export async function runCluster (envVars: Env, options: RunClusterOptions): Promise<void> {
  if (cluster.isPrimary) await startPrimary(envVars, { workers: options.workers, graceMs: options.graceMs })
  else await startWorker(envVars, options.startGateway, options.graceMs)
}

export type { ClusterWorkerSide } from './worker.js'
