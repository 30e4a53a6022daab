/**
 * Running the bundled gateway on several cores (`GATEWAY_WORKERS` > 1):
 * loaded by `main()` in app.ts only then. The process that starts is the
 * primary (`primary.ts`); the processes it forks run the same entry and
 * become workers (`worker.ts`).
 */
import cluster from 'node:cluster'
import type { Env } from '../config/index.js'
import { startPrimary } from './primary.js'
import { startWorker, type StartGateway, type StartedGateway } from './worker.js'

export interface RunClusterOptions {
  workers: number
  /** Each worker's drain time on SIGTERM. */
  graceMs: number
  /** app.ts's `startGateway` (passed in: this folder does not import the app). */
  startGateway: StartGateway
}

/**
 * In the primary: start it (it handles its own signals) and resolve `undefined`.
 * In a worker: start the gateway and resolve it, for `main()` to stop on SIGTERM.
 */
export async function runCluster (envVars: Env, options: RunClusterOptions): Promise<StartedGateway | undefined> {
  if (cluster.isPrimary) {
    await startPrimary(envVars, { workers: options.workers, graceMs: options.graceMs })
    return undefined
  }
  return await startWorker(envVars, options.startGateway)
}

export type { ClusterWorkerSide } from './worker.js'
