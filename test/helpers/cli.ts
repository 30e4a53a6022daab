/**
 * The built CLI as `npx switchyard` runs it: package.json `bin`, the bundle
 * dist/bundle/switchyard.js (scripts/bundle.mjs). `npm test` builds before tap;
 * when a test file runs alone without a build, it builds first.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CLI = fileURLToPath(new URL('../../dist/bundle/switchyard.js', import.meta.url))
/** `npm start`'s entry, bundled. */
export const START = fileURLToPath(new URL('../../dist/bundle/start.js', import.meta.url))

/** `npm run build` (tsc, then the bundle) unless both are there. */
export function ensureBuilt (): void {
  if (existsSync(CLI) && existsSync(START)) return
  execFileSync(process.execPath, [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], { cwd: ROOT })
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: ROOT })
}

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** Run the CLI to its end (bounded by `timeoutMs`). */
export async function runCli (args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<CliResult> {
  ensureBuilt()
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)))
  clearTimeout(timer)
  return { code, stdout, stderr }
}
