/**
 * Run the bundled app (app.ts) as a real child process, as `npm start` does.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const APP = fileURLToPath(new URL('../../app.ts', import.meta.url))

export interface SpawnedApp {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the first stdout JSON log line whose msg matches. */
  waitForLog: (pattern: RegExp, timeoutMs?: number, accept?: (entry: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>
  exited: Promise<number | null>
}

export function spawnApp (env: Record<string, string>): SpawnedApp {
  const child = spawn(process.execPath, ['--import', 'tsx', APP], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { err += c.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const waitForLog = async (pattern: RegExp, timeoutMs = 15_000, accept = (_entry: Record<string, unknown>) => true): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue
        const entry = JSON.parse(line) as Record<string, unknown>
        if (typeof entry.msg === 'string' && pattern.test(entry.msg) && accept(entry)) return entry
      }
      if (child.exitCode !== null) throw new Error(`app exited (${child.exitCode}): ${err}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`no log line matching ${String(pattern)} in ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`)
  }
  return { child, stdout: () => out, stderr: () => err, waitForLog, exited }
}
