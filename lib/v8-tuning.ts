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
 */
import { setFlagsFromString } from 'node:v8'

export const PROCESS_V8_FLAGS = ['--no-wasm-loop-unrolling'] as const

/** Set PROCESS_V8_FLAGS on this process; call once, before the first upstream request. */
export function tuneV8ForGateway (): void {
  for (const flag of PROCESS_V8_FLAGS) setFlagsFromString(flag)
}
