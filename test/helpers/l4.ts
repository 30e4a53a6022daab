/**
 * Real TCP and UDP backends for the Layer 4 tests (127.0.0.1, port 0), and
 * the bundled gateway started from a config file with `tcp`/`udp` listeners.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { buildGateway } from '../../app.js'
import { loadConfig, type Env } from '../../config/index.js'
import type { FastifyInstance } from 'fastify'
import type { L4ListenerStatus } from '../../lib/l4-status.js'
import { writeConfigFile } from './config-file.js'

export interface TcpBackend {
  name: string
  port: number
  url: string
  server: Server
  /** Connections accepted. */
  connections: number
  /** Sockets open now. */
  sockets: Set<Socket>
  stop: () => Promise<void>
}

/** What a TCP backend does with each connection. */
export type TcpHandler = (socket: Socket, backend: TcpBackend) => void

/** Echoes every byte back and ends when the client ends. */
export const echoTcp: TcpHandler = (socket) => { socket.pipe(socket) }

/** Writes its name, then closes: one short exchange. */
export const nameTcp: TcpHandler = (socket, backend) => { socket.end(backend.name) }

export async function startTcpBackend (name: string, handler: TcpHandler = echoTcp): Promise<TcpBackend> {
  const backend = { name, connections: 0, sockets: new Set<Socket>() } as unknown as TcpBackend
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    backend.connections++
    backend.sockets.add(socket)
    socket.on('close', () => backend.sockets.delete(socket))
    socket.on('error', () => {})
    handler(socket, backend)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  backend.server = server
  backend.port = (server.address() as AddressInfo).port
  backend.url = `tcp://127.0.0.1:${backend.port}`
  backend.stop = async () => {
    for (const socket of backend.sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  }
  return backend
}

/** A port on 127.0.0.1 where nothing listens (bound then released). */
export async function deadTcpPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

export interface UdpBackend {
  name: string
  port: number
  url: string
  socket: UdpSocket
  /** Distinct client `address:port` pairs seen (the gateway's session sockets). */
  peers: Set<string>
  datagrams: number
  stop: () => Promise<void>
}

/** Replies to each datagram with `NAME:` + the datagram. */
export async function startUdpBackend (name: string): Promise<UdpBackend> {
  const socket = createSocket('udp4')
  const backend = { name, socket, peers: new Set<string>(), datagrams: 0 } as unknown as UdpBackend
  socket.on('message', (message, rinfo) => {
    backend.datagrams++
    backend.peers.add(`${rinfo.address}:${rinfo.port}`)
    socket.send(Buffer.concat([Buffer.from(`${name}:`), message]), rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  backend.port = socket.address().port
  backend.url = `udp://127.0.0.1:${backend.port}`
  backend.stop = async () => { await new Promise<void>((resolve) => socket.close(() => { resolve() })) }
  return backend
}

export interface L4Gateway {
  app: FastifyInstance
  /** Counters of every L4 listener, as `/status` shows them. */
  status: () => L4ListenerStatus[]
  /** Port of the `index`-th tcp listener. */
  tcpPort: (index?: number) => number
  /** Port of the `index`-th udp listener. */
  udpPort: (index?: number) => number
  close: () => Promise<void>
}

/** The bundled app from a config file (`content`), HTTP and admin on free ports, listeners on 127.0.0.1. */
export async function startL4Gateway (content: unknown, env: Env = {}): Promise<L4Gateway> {
  const config = loadConfig({ GATEWAY_CONFIG: writeConfigFile(content), GATEWAY_ADMIN_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env })
  const app = await buildGateway(config, { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const status = (): L4ListenerStatus[] => app.switchyard.l4?.() ?? []
  const portOf = (protocol: 'tcp' | 'udp', index: number): number => {
    const listener = status().filter((l) => l.protocol === protocol)[index]
    if (listener === undefined) throw new Error(`no ${protocol} listener ${index}`)
    return Number(listener.address.slice(listener.address.lastIndexOf(':') + 1))
  }
  return {
    app,
    status,
    tcpPort: (index = 0) => portOf('tcp', index),
    udpPort: (index = 0) => portOf('udp', index),
    close: async () => { await app.close() }
  }
}

/** Connect to 127.0.0.1:`port`, send `data` (then end), and collect everything until the server closes. */
export async function tcpExchange (port: number, data: Buffer | string = '', timeoutMs = 10_000): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('tcpExchange timed out')) }, timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (err) => { clearTimeout(timer); reject(err) })
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)) })
    socket.on('connect', () => { socket.end(data) })
  })
}

/** Writes its name and a newline, then echoes every byte back (and ends when the client ends). */
export const namedEchoTcp: TcpHandler = (socket, backend) => {
  socket.write(`${backend.name}\n`)
  socket.pipe(socket)
}

/**
 * One connection to a `namedEchoTcp` backend through 127.0.0.1:`port`, kept
 * open: `backend` is the name it announced; `roundTrip` sends bytes and
 * resolves once the same bytes came back (rejects on anything else).
 */
export interface EchoStream {
  backend: string
  roundTrip: (data: Buffer) => Promise<void>
  /** Bytes sent and echoed back so far. */
  readonly echoed: number
  end: () => Promise<void>
}

export async function openEchoStream (port: number, timeoutMs = 10_000): Promise<EchoStream> {
  const socket = connect({ port, host: '127.0.0.1' })
  let buffered = Buffer.alloc(0)
  let waiter: (() => void) | undefined
  let failure: Error | undefined
  let echoed = 0
  socket.on('data', (chunk: Buffer) => { buffered = Buffer.concat([buffered, chunk]); waiter?.() })
  socket.on('error', (err) => { failure = err; waiter?.() })
  socket.on('close', () => { failure ??= new Error('closed by the gateway'); waiter?.() })
  const until = async (done: () => boolean): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (!done()) {
      if (failure !== undefined) throw failure
      if (Date.now() > deadline) throw new Error('echo stream timed out')
      await new Promise<void>((resolve) => { waiter = resolve; setTimeout(resolve, 50) })
      waiter = undefined
    }
  }
  await until(() => buffered.includes(0x0a))
  const newline = buffered.indexOf(0x0a)
  const backend = buffered.subarray(0, newline).toString()
  buffered = buffered.subarray(newline + 1)
  return {
    backend,
    get echoed () { return echoed },
    roundTrip: async (data) => {
      socket.write(data)
      await until(() => buffered.length >= data.length)
      const back = buffered.subarray(0, data.length)
      buffered = buffered.subarray(data.length)
      if (!back.equals(data)) throw new Error(`echo differs after ${echoed} bytes`)
      echoed += data.length
    },
    end: async () => {
      await new Promise<void>((resolve) => { socket.once('close', () => { resolve() }); socket.end() })
    }
  }
}

export interface TcpLoadResult {
  connections: number
  failures: string[]
  /** Connections by the backend that served them. */
  byBackend: Map<string, number>
}

export interface TcpLoad {
  readonly connections: number
  /** By backend, the connections that started since the previous call (and have finished). */
  since: () => Map<string, number>
  stop: () => Promise<TcpLoadResult>
}

/**
 * `clients` loops over 127.0.0.1:`port` (a listener on `namedEchoTcp`
 * backends): connect, read the backend's name, send 64 random bytes, check
 * they come back, end. Bounded by `maxMs`. Any error or wrong byte is a failure.
 */
export function startTcpLoad (port: number, options: { clients?: number, maxMs?: number } = {}): TcpLoad {
  const deadline = Date.now() + (options.maxMs ?? 60_000)
  const result: TcpLoadResult = { connections: 0, failures: [], byBackend: new Map() }
  let recent = new Map<string, number>()
  let epoch = 0
  const state = { stopped: false }
  const loop = async (): Promise<void> => {
    while (!state.stopped && Date.now() < deadline) {
      const startedIn = epoch
      const data = Buffer.from(Array.from({ length: 64 }, () => Math.floor(Math.random() * 256)))
      try {
        const stream = await openEchoStream(port)
        await stream.roundTrip(data)
        await stream.end()
        result.byBackend.set(stream.backend, (result.byBackend.get(stream.backend) ?? 0) + 1)
        if (startedIn === epoch) recent.set(stream.backend, (recent.get(stream.backend) ?? 0) + 1)
      } catch (err) {
        result.failures.push(String(err))
      }
      result.connections++
    }
  }
  const loops = Array.from({ length: options.clients ?? 4 }, async () => { await loop() })
  return {
    get connections () { return result.connections },
    since: () => { const seen = recent; recent = new Map(); epoch++; return seen },
    stop: async () => { state.stopped = true; await Promise.all(loops); return result }
  }
}

/** Send `message` from `socket` to 127.0.0.1:`port` and wait for one reply. */
export async function udpAsk (socket: UdpSocket, port: number, message: string, timeoutMs = 5_000): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { socket.off('message', onMessage); reject(new Error(`no UDP reply to ${message}`)) }, timeoutMs)
    const onMessage = (reply: Buffer): void => { clearTimeout(timer); socket.off('message', onMessage); resolve(reply.toString()) }
    socket.on('message', onMessage)
    socket.send(message, port, '127.0.0.1')
  })
}

/** True when a TCP connect to `port` on 127.0.0.1 is refused (nothing listens), false when it connects. */
export async function connectRefused (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code === 'ECONNREFUSED') })
  })
}
