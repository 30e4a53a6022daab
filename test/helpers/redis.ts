/**
 * A real Redis server for tests: `redis-server` on a free loopback port, no
 * persistence, killed on stop. Needs the Debian package `redis-server`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, connect } from 'node:net'

export interface TestRedis {
  port: number
  url: string
  process: ChildProcess
  /** Kill the server (SIGKILL), as an outage would. */
  stop: () => Promise<void>
  /** Start it again on the same port (empty). */
  start: () => Promise<void>
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort (port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`)
}

export async function startRedis (): Promise<TestRedis> {
  const port = await freePort()
  const redis = { port, url: `redis://127.0.0.1:${port}` } as TestRedis
  redis.start = async () => {
    redis.process = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    await waitForPort(port, 5000)
  }
  redis.stop = async () => {
    const child = redis.process
    if (child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL') })
  }
  await redis.start()
  return redis
}
