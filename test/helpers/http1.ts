/**
 * Tools for the tests of the pools' HTTP/1.1 transport (`plugins/pools/http1/`):
 * an `Http1Agent` closed at teardown, a handler that records what a caller of
 * `dispatch` sees (heads, body bytes, completion, error), and real targets on
 * 127.0.0.1 port 0 that count their TCP connections: a node:http server, and a
 * raw node:net server that answers with hand-written bytes; and a port where
 * a connect hangs.
 */
import { spawn } from 'node:child_process'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { Http1Agent, type Http1AgentOptions } from '../../plugins/pools/http1/agent.js'

interface Teardown { teardown: (fn: () => unknown) => void }

/** One response head as the handler saw it. */
export interface SeenHead {
  status: number
  statusText: string
  /** Flat `[name, value, …]` as handed to `onHeaders`. */
  headers: string[]
}

/** What a caller of `dispatch` saw of one request. */
export interface Recorded {
  /** `connect`, `headers <status>`, `data`, `complete`, `error <code>`, in order (consecutive `data` folded into one). */
  events: string[]
  heads: SeenHead[]
  body: Buffer
  completions: number
  error: (Error & { code?: string }) | undefined
  /** The `abort` handed to `onConnect`. */
  abort: (err?: Error) => void
  /** The `resume` handed to the last `onHeaders`. */
  resume: () => void
  /** Settles on `onComplete` or `onError` (never rejects). */
  done: Promise<void>
}

export interface RecordOptions {
  onConnect?: (abort: (err?: Error) => void) => void
  /** Return value of `onHeaders` (default `true`); called after the head is recorded. */
  onHeaders?: (status: number, recorded: Recorded) => boolean
  /** Return value of `onData` (default `true`); called after the chunk is recorded. */
  onData?: (chunk: Buffer, recorded: Recorded) => boolean
}

export interface SendOptions extends RecordOptions {
  path?: string
  method?: string
  headers?: string[]
  body?: Readable | Buffer | string | null
}

/** An agent for `t`, destroyed at teardown. The fallback throws unless one is given. */
export function newAgent (t: Teardown, options: Partial<Http1AgentOptions> = {}, makeFallback?: () => Dispatcher): Http1Agent {
  const agent = new Http1Agent({ connections: 4, keepAliveTimeoutMs: 4_000, connectTimeoutMs: 2_000, ...options },
    makeFallback ?? (() => { throw new Error('the fallback dispatcher was not expected here') }))
  t.teardown(async () => { await agent.destroy(null) })
  return agent
}

/** Dispatch one request to `origin` with a recording handler. */
export function send (agent: Http1Agent, origin: string, options: SendOptions = {}): Recorded {
  const { handler, recorded } = recordingHandler(options)
  agent.dispatch({
    origin,
    path: options.path ?? '/',
    method: (options.method ?? 'GET') as Dispatcher.HttpMethod,
    headers: options.headers ?? ['host', 'target.test'],
    body: options.body ?? null
  }, handler)
  return recorded
}

/** A dispatch handler that records what it is told. */
export function recordingHandler (options: RecordOptions = {}): { handler: Dispatcher.DispatchHandler, recorded: Recorded } {
  let settle: () => void = () => {}
  const chunks: Buffer[] = []
  const recorded: Recorded = {
    events: [],
    heads: [],
    body: Buffer.alloc(0),
    completions: 0,
    error: undefined,
    abort: () => { throw new Error('onConnect was not called') },
    resume: () => { throw new Error('onHeaders was not called') },
    done: new Promise<void>((resolve) => { settle = resolve })
  }
  const handler = {
    onConnect (abort: (err?: Error) => void): void {
      recorded.events.push('connect')
      recorded.abort = abort
      options.onConnect?.(abort)
    },
    onHeaders (status: number, headers: string[], resume: () => void, statusText: string): boolean {
      recorded.events.push(`headers ${status}`)
      recorded.heads.push({ status, statusText, headers: [...headers] })
      recorded.resume = resume
      return options.onHeaders?.(status, recorded) ?? true
    },
    onData (chunk: Buffer): boolean {
      if (recorded.events.at(-1) !== 'data') recorded.events.push('data')
      chunks.push(Buffer.from(chunk))
      recorded.body = Buffer.concat(chunks)
      return options.onData?.(chunk, recorded) ?? true
    },
    onComplete (): void {
      recorded.events.push('complete')
      recorded.completions++
      settle()
    },
    onError (err: Error & { code?: string }): void {
      recorded.events.push(`error ${err.code ?? err.message}`)
      recorded.error = err
      settle()
    }
  }
  return { handler: handler as unknown as Dispatcher.DispatchHandler, recorded }
}

/** What a target saw of its TCP connections. */
export interface ConnectionCounts {
  port: number
  origin: string
  /** Connections accepted so far. */
  accepted: number
  /** Connections open now. */
  open: Set<Socket>
  /** Most connections open at one time. */
  maxOpen: number
  /** Resolves when the `n`th accepted connection (1-based) has closed. */
  closed: (n: number) => Promise<void>
}

function countConnections (server: Server | NetServer, counts: ConnectionCounts): void {
  const closeWaiters = new Map<number, () => void>()
  const closedAt = new Set<number>()
  server.on('connection', (socket: Socket) => {
    const n = ++counts.accepted
    counts.open.add(socket)
    counts.maxOpen = Math.max(counts.maxOpen, counts.open.size)
    socket.once('close', () => {
      counts.open.delete(socket)
      closedAt.add(n)
      closeWaiters.get(n)?.()
    })
  })
  counts.closed = async (n) => {
    if (closedAt.has(n)) return
    await new Promise<void>((resolve) => { closeWaiters.set(n, resolve) })
  }
}

async function listen (t: Teardown, server: Server | NetServer, counts: ConnectionCounts): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  counts.port = (server.address() as AddressInfo).port
  counts.origin = `http://127.0.0.1:${counts.port}`
  t.teardown(async () => {
    for (const socket of counts.open) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  })
}

export interface HttpTarget extends ConnectionCounts { server: Server }

/** A node:http target on 127.0.0.1 port 0, closed at teardown. */
export async function httpTarget (t: Teardown, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpTarget> {
  const server = createHttpServer(handler)
  const target = { server, accepted: 0, open: new Set<Socket>(), maxOpen: 0 } as unknown as HttpTarget
  countConnections(server, target)
  await listen(t, server, target)
  return target
}

export interface RawTarget extends ConnectionCounts {
  server: NetServer
  /** Bytes received on each connection, by accept order (0-based). */
  received: Buffer[]
}

/**
 * A node:net target that hands each connection to `onRequest` once a full
 * request head (`\r\n\r\n`) has arrived on it (again for each later head on
 * the same connection). For responses no HTTP server would write.
 */
export async function rawTarget (t: Teardown, onRequest: (socket: Socket, head: string, index: number) => void): Promise<RawTarget> {
  const server = createNetServer()
  const target = { server, accepted: 0, open: new Set<Socket>(), maxOpen: 0, received: [] } as unknown as RawTarget
  countConnections(server, target)
  server.on('connection', (socket) => {
    const index = target.received.length
    target.received.push(Buffer.alloc(0))
    let pending = ''
    socket.on('error', () => {})
    socket.on('data', (data: Buffer) => {
      target.received[index] = Buffer.concat([target.received[index] as Buffer, data])
      pending += data.toString('latin1')
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end + 4)
        pending = pending.slice(end + 4)
        onRequest(socket, head, index)
      }
    })
  })
  await listen(t, server, target)
  return target
}

/** Resolves after `ms`. */
export async function sleep (ms: number): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, ms))
}

/** The value of `name` in a flat header list (names compared case-insensitively), or undefined. */
export function headerValue (headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if ((headers[i] as string).toLowerCase() === name) return headers[i + 1]
  return undefined
}

/** Whether `promise` settles within `ms`. */
export async function settlesWithin (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([promise.then(() => true as const), late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A port on 127.0.0.1 where a connect hangs: a child process listens with a
 * backlog of one and then blocks its event loop, so it never accepts; two
 * connections made here fill its accept queue, and the kernel drops the SYN
 * of every later connect (it is retried, unanswered, for minutes).
 */
export async function unansweredPort (t: Teardown): Promise<number> {
  const script = 'const s = require("net").createServer(); s.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {' +
    ' process.stdout.write(s.address().port + "\\n"); setTimeout(() => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0) }, 20) })'
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => { resolve(Number(data.toString().trim())) })
    child.once('exit', (code) => { reject(new Error(`the listener exited (${String(code)})`)) })
  })
  await sleep(100)
  for (let filled = 0; filled < 4;) {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    t.teardown(() => { socket.destroy() })
    const connected = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => { resolve(true) })
      setTimeout(() => { resolve(false) }, 300)
    })
    if (!connected) return port
    filled++
  }
  throw new Error('connects to the blocked listener kept succeeding')
}
