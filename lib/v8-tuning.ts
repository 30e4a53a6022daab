/**
 * V8 settings of the gateway's own process (`main()`: `npm start`, the
 * `switchyard` command, each cluster worker). Plugin users who register
 * Switchyard in their own server keep their process as they set it.
 *
 * - `--no-wasm-loop-unrolling`: undici parses responses with llhttp compiled
 *   to WebAssembly, and V8 recompiles its one large parse function with
 *   TurboFan after the first response or two. With loop unrolling that
 *   compile needs a 29 MB zone on a background thread, and glibc keeps ~10 MB
 *   of that thread's malloc arena resident for the life of the process; without
 *   it the peak is 20 MB and the compile 35 % shorter. The parser's speed is the
 *   same (bench/ab.ts: 1.00× CPU per request at 1 KB and 64 KB), the state
 *   machine has no loop worth unrolling.
 *
 * The flag must be set before undici compiles llhttp (on its first connection).
 *
 * - One of Node's tick objects (what `process.nextTick` queues) is kept alive
 *   for the life of the process. When a full collection runs while none is
 *   alive and before the hot path has warmed up (the idle collector's first
 *   one, lib/idle-collector.ts, or V8's own after an allocation burst at
 *   start-up), every request afterwards costs 16 % more CPU, for good
 *   (bench/ab.ts: 1.167 over 7 rounds); a CPU profile puts the difference in
 *   `nextTick` itself (0.4 → 6 % of the samples, from every caller). With one
 *   tick object alive across that collection it costs nothing (1.002). Its
 *   feedback and optimisation state look the same either way (%DebugPrint), so
 *   what V8 does differently is not known; what keeps it away is measured.
 */
import { executionAsyncResource } from 'node:async_hooks'
import { setFlagsFromString } from 'node:v8'

export const PROCESS_V8_FLAGS = ['--no-wasm-loop-unrolling'] as const

/** The tick object kept alive (one per process is enough). */
let keptTick: object | undefined
let keeping = false

/** Keep the next `process.nextTick` tick object alive for good (inside its callback it is the execution's resource). */
export function keepTickObjectAlive (): void {
  if (keeping) return
  keeping = true
  process.nextTick(() => { keptTick = executionAsyncResource() })
}

/** The tick object kept alive, once the tick after keepTickObjectAlive() has run. */
export function keptTickObject (): object | undefined {
  return keptTick
}

/** Set PROCESS_V8_FLAGS on this process and keep a tick object alive; call once, before the first upstream request. */
export function tuneV8ForGateway (): void {
  for (const flag of PROCESS_V8_FLAGS) setFlagsFromString(flag)
  keepTickObjectAlive()
}
