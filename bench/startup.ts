/**
 * Start-up and idle memory of the bundled gateway against bare
 * @fastify/http-proxy, in one run: the time from spawning the process to its
 * first forwarded 200, the CPU the process had used by then (utime + stime
 * from /proc/PID/stat: it holds when other work shares the machine, wall
 * time does not), and its RSS (/proc/PID/status) 3 s and 12 s after that
 * first 200. The second is the idle figure: about 8 s into an idle spell V8's
 * memory reducer gives back the young generation that start-up grew (~5 MB),
 * in every Node process alike. Cases, in a
 * rotating order per round, medians:
 *
 * - `upstreams`: `npm start`'s command (package.json `scripts.start`, run by
 *   node directly) with GATEWAY_UPSTREAMS=one backend
 * - `config`: the same with GATEWAY_CONFIG naming a JSON file with one pool and one route
 * - `demo`: the same with nothing configured (the built-in demo backends)
 * - `bare`: Fastify + @fastify/http-proxy to the same backend
 *
 * Run `npm run build` first. `--baseline DIR` adds the same three Switchyard
 * cases run from another build (DIR holds its `dist/` and resolves the same
 * `node_modules`), for a before/after in the same run; `--npm` adds `npm
 * start` itself (npm's own start-up included).
 *
 *   node --import tsx bench/startup.ts [runs] [--baseline DIR] [--npm]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, get } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { cpuMicros, median } from './lib.js'

const { values: flags, positionals } = parseArgs({ allowPositionals: true, options: { baseline: { type: 'string' }, npm: { type: 'boolean' } } })
const RUNS = Number(positionals[0] ?? 7)
const IDLE_MS = 3000
const SETTLED_MS = 12_000
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BARE = `import Fastify from 'fastify'; import httpProxy from '@fastify/http-proxy'
const app = Fastify(); await app.register(httpProxy, { upstream: process.env.UPSTREAM })
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })`

const backend = createServer((_req, res) => { res.end('ok') })
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`
const scratch = mkdtempSync(join(tmpdir(), 'switchyard-startup-'))
const configFile = join(scratch, 'gateway.json')
writeFileSync(configFile, JSON.stringify({ pools: { api: { targets: [upstream] } }, routes: [{ path: '/', pool: 'api' }] }))

interface Case { name: string, command: string[], cwd: string, env: Record<string, string> }
const QUIET = { HOST: '127.0.0.1', GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'warn' }
/** `npm start`'s command (package.json `scripts.start`, e.g. `node dist/bundle/start.js`) run directly, without npm. */
function startCommand (root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const [node, ...args] = pkg.scripts.start.trim().split(/\s+/)
  if (node !== 'node') throw new Error(`package.json start is not a node command: ${pkg.scripts.start}`)
  return [process.execPath, ...args]
}
function switchyardCases (label: string, root: string): Case[] {
  const app = startCommand(root)
  return [
    { name: `${label}upstreams`, command: app, cwd: root, env: { ...QUIET, GATEWAY_UPSTREAMS: upstream } },
    { name: `${label}config`, command: app, cwd: root, env: { ...QUIET, GATEWAY_CONFIG: configFile } },
    { name: `${label}demo`, command: app, cwd: root, env: QUIET }
  ]
}
const cases: Case[] = [
  ...switchyardCases('', ROOT),
  ...(flags.baseline !== undefined ? switchyardCases('baseline ', resolve(flags.baseline)) : []),
  ...(flags.npm === true ? [{ name: 'npm start (upstreams)', command: ['npm', 'start', '--silent'], cwd: ROOT, env: { ...QUIET, GATEWAY_UPSTREAMS: upstream } }] : []),
  { name: 'bare @fastify/http-proxy', command: [process.execPath, '--input-type=module', '-e', BARE], cwd: ROOT, env: { UPSTREAM: upstream } }
]

/** A port free right now (the OS picks it; other processes share this machine). */
async function freePort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

async function firstOk (port: number, deadline: number, child: ChildProcess): Promise<boolean> {
  while (performance.now() < deadline && child.exitCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = get({ host: '127.0.0.1', port, path: '/' }, (res) => { res.resume(); resolve(res.statusCode === 200) })
      req.on('error', () => { resolve(false) })
    })
    if (ok) return true
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return false
}

interface Sample { ms: number, cpuMs: number, rssMb: number, settledRssMb: number }
function rssMb (pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
}
async function once (c: Case): Promise<Sample> {
  const port = await freePort()
  const [cmd, ...args] = c.command as [string, ...string[]]
  const started = performance.now()
  // Its own process group, so that `npm start`'s gateway (npm's child) is killed with it.
  const child = spawn(cmd, args, { cwd: c.cwd, stdio: 'ignore', detached: true, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...c.env, PORT: String(port) } })
  try {
    if (!await firstOk(port, started + 15_000, child)) throw new Error(`${c.name} gave no 200 within 15 s (exit ${String(child.exitCode)})`)
    const ms = performance.now() - started
    const cpuMs = cpuMicros(child.pid) / 1000
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
    const early = rssMb(child.pid as number)
    await new Promise((resolve) => setTimeout(resolve, SETTLED_MS - IDLE_MS))
    return { ms, cpuMs, rssMb: early, settledRssMb: rssMb(child.pid as number) }
  } finally {
    try { process.kill(-(child.pid as number), 'SIGKILL') } catch {}
    await new Promise((resolve) => { if (child.exitCode !== null || child.signalCode !== null) resolve(undefined); else child.once('exit', resolve) })
  }
}

const results = new Map<string, Sample[]>(cases.map((c) => [c.name, []]))
for (let i = 0; i < RUNS; i++) {
  // A rotating order: no case always runs right after the same other one.
  const order = cases.map((_, k) => cases[(k + i) % cases.length] as Case)
  for (const c of order) results.get(c.name)?.push(await once(c))
}
backend.close()
rmSync(scratch, { recursive: true, force: true })
const [load1] = readFileSync('/proc/loadavg', 'utf8').split(' ')
process.stdout.write(`\n${RUNS} rounds (rotating order), medians; load average at the end ${String(load1)}\n\n` +
  '| process | spawn → first forwarded 200 | CPU used by then | RSS 3 s after | idle RSS (12 s after) |\n| --- | --: | --: | --: | --: |\n')
for (const c of cases) {
  const list = results.get(c.name) ?? []
  const cpu = c.command[0] === 'npm' ? '–' : `${median(list.map((r) => r.cpuMs)).toFixed(0)} ms`
  const rss = (pick: (r: Sample) => number): string => c.command[0] === 'npm' ? '–' : `${median(list.map(pick)).toFixed(1)} MB`
  process.stdout.write(`| ${c.name} | ${median(list.map((r) => r.ms)).toFixed(0)} ms | ${cpu} | ${rss((r) => r.rssMb)} | ${rss((r) => r.settledRssMb)} |\n`)
}
