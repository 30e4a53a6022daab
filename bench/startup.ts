/**
 * Start-up and idle memory: the time from spawning the process to its first
 * forwarded 200, and its RSS after 3 s idle (/proc/PID/status), for the
 * bundled gateway (`node dist/app.js`, GATEWAY_UPSTREAMS set) and for bare
 * @fastify/http-proxy, in alternating runs; medians. Run `npm run build`
 * first.
 *
 *   node --import tsx bench/startup.ts [runs]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, get } from 'node:http'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { median } from './lib.js'

const RUNS = Number(process.argv[2] ?? 7)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BARE = `import Fastify from 'fastify'; import httpProxy from '@fastify/http-proxy'
const app = Fastify(); await app.register(httpProxy, { upstream: process.env.UPSTREAM })
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })`

const backend = createServer((_req, res) => { res.end('ok') })
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`

async function firstOk (port: number, deadline: number): Promise<boolean> {
  while (performance.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = get({ host: '127.0.0.1', port, path: '/' }, (res) => { res.resume(); resolve(res.statusCode === 200) })
      req.on('error', () => { resolve(false) })
    })
    if (ok) return true
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return false
}

async function once (kind: 'switchyard' | 'bare', port: number): Promise<{ ms: number, rssMb: number }> {
  const started = performance.now()
  const child: ChildProcess = kind === 'switchyard'
    ? spawn(process.execPath, ['dist/app.js'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', GATEWAY_UPSTREAMS: upstream, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'warn' } })
    : spawn(process.execPath, ['--input-type=module', '-e', BARE], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, PORT: String(port), UPSTREAM: upstream } })
  try {
    if (!await firstOk(port, started + 15_000)) throw new Error(`${kind} gave no 200 within 15 s`)
    const ms = performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const status = readFileSync(`/proc/${child.pid as number}/status`, 'utf8')
    return { ms, rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024 }
  } finally {
    child.kill('SIGKILL')
  }
}

const results = { switchyard: [] as Array<{ ms: number, rssMb: number }>, bare: [] as Array<{ ms: number, rssMb: number }> }
for (let i = 0; i < RUNS; i++) {
  for (const kind of (i % 2 === 0 ? ['switchyard', 'bare'] : ['bare', 'switchyard']) as Array<'switchyard' | 'bare'>) {
    results[kind].push(await once(kind, 30_000 + Math.floor(Math.random() * 20_000)))
  }
}
backend.close()
process.stdout.write(`\n${RUNS} alternating runs, medians\n\n| process | spawn → first forwarded 200 | idle RSS (3 s after) |\n| --- | --: | --: |\n`)
for (const kind of ['switchyard', 'bare'] as const) {
  const list = results[kind]
  process.stdout.write(`| ${kind === 'switchyard' ? 'Switchyard (node dist/app.js)' : 'bare @fastify/http-proxy'} | ${median(list.map((r) => r.ms)).toFixed(0)} ms | ${median(list.map((r) => r.rssMb)).toFixed(1)} MB |\n`)
}
