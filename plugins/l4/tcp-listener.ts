/**
 * One TCP listener of Layer 4 (nginx `stream`, HAProxy `mode tcp`): each
 * client connection is given a target by its pool's balancer and piped to
 * it both ways. Framework-free; `switchyard-l4` (index.ts) starts and closes it.
 *
 * Per connection, in order:
 * 1. refused at once (destroyed, never queued) beyond `maxConnections` or by `allow`/`deny`;
 * 2. with `sni`, the ClientHello is read (and kept, to be sent first) within
 *    `clientHelloTimeoutMs` and its server name picks the pool; late or malformed → closed;
 * 3. a target is picked (`consistent-hash` keys on the client IP) and connected within
 *    `connectTimeoutMs`; a failed connect — no client byte has been sent yet — counts on the
 *    target as in L7 (passive health through `pool.outlier`) and the next target is tried,
 *    up to the pool's `retries`;
 * 4. the PROXY header (`proxyProtocol`) goes first, then the bytes are piped with
 *    backpressure (a `Pump` per direction, `pump.ts`) and half-close (`allowHalfOpen`: an `end` from one side is passed
 *    on, the other direction keeps flowing) until both sides are done or `idleTimeoutMs`
 *    of silence.
 * The target's `inFlight` counts the open connection (least-connections reads it); health
 * changes never cut an open connection — they only steer new ones. `close()` stops
 * accepting and waits for open connections up to a deadline, then cuts them.
 *
 * A config reload (`L4ListenerSet`, listener-set.ts) may bind a new listener with
 * `listen({ hold: true })` before the new pools are in place: connections it accepts
 * wait (paused) until `serve()`. A listener that stays takes its new settings with
 * `update()`; they apply to connections accepted from then on.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import type { Pool } from '../pools/pool.js'
import type { Target } from '../pools/target.js'
import type { L4Counters, L4ListenerStatus } from '../../lib/l4-status.js'
import { ListenerStats } from './stats.js'
import { buildProxyHeader, unmapIPv4 } from './proxy-header.js'
import { peekServerName, type SniRouter } from './sni.js'
import type { TcpListenerConfig } from './options.js'
import { silentL4Logger, type L4Logger } from './logger.js'
import { adoptAccepted, createPumpBuffers, interceptConnections, Pump, socketOnHandle, SOCKET_OPTIONS } from './pump.js'

export interface TcpListenerOptions {
  config: TcpListenerConfig
  /** The listener's pool (with `sni`: for unknown or absent names). */
  pool: Pool
  /** With `sni`: server name → pool, by `compileSniRoutes`, and the pools it names. */
  sni?: { route: SniRouter, pools: ReadonlyMap<string, Pool> } | undefined
  /** `(client address) => may it connect`; undefined lets everyone in. */
  admits?: ((address: string) => boolean) | undefined
  /** Address to bind when the config names none. */
  defaultHost: string
  log?: L4Logger
}

/** One client connection and the upstream it is piped to. */
interface Connection {
  client: Socket
  /** Client → upstream (holds the client's first bytes until the upstream is connected). */
  toUpstream: Pump
  upstream: Socket | undefined
  /** Upstream → client, of the connected upstream. */
  toClient: Pump | undefined
  target: Target | undefined
  counters: L4Counters | undefined
  startedAt: number
  /** Bytes of the PROXY header written upstream (not the client's). */
  headerBytes: number
  /** Connected and piped both ways. */
  piped: boolean
  finished: boolean
}

/** A connection accepted while the listener holds: served or dropped later. */
interface HeldConnection {
  serve: () => void
  drop: () => void
}

export class TcpListener {
  /** The settings of new connections (replaced by `update`). */
  config: TcpListenerConfig
  readonly stats = new ListenerStats()
  private options: TcpListenerOptions
  private readonly log: L4Logger
  private readonly server: Server
  private readonly connections = new Set<Connection>()
  private readonly buffers = createPumpBuffers()
  private closing = false
  /** Connections accepted by a listener bound with `hold` and not yet served (not read from). */
  private held: HeldConnection[] | undefined

  constructor (options: TcpListenerOptions) {
    this.options = options
    this.config = options.config
    this.log = options.log ?? silentL4Logger
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => { this.acceptSocket(socket) })
    this.name = `${this.config.host ?? options.defaultHost}:${this.config.port}`
  }

  /** Bind and start accepting; with `hold`, connections wait for `serve()`. */
  async listen ({ hold = false }: { hold?: boolean } = {}): Promise<void> {
    if (hold) this.held ??= []
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen({ port: this.config.port, host: this.config.host ?? this.options.defaultHost }, () => {
        this.server.off('error', reject)
        interceptConnections(this.server, (handle) => { this.acceptHandle(handle) }, (code) => {
          this.log.warn({ listener: this.name, code }, 'tcp accept failed')
        })
        const address = this.server.address() as AddressInfo
        this.name = `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
        resolve()
      })
    })
  }

  /** Serve the connections held since `listen({ hold: true })`, and every one after. */
  serve (): void {
    const held = this.held ?? []
    this.held = undefined
    for (const connection of held) connection.serve()
  }

  /**
   * New settings (config reload) for connections accepted from now on: pool,
   * sni map, allow/deny, timeouts, maxConnections, proxyProtocol. Open
   * connections keep the target and timeouts they have. The address stays.
   */
  update (settings: Pick<TcpListenerOptions, 'config' | 'pool' | 'sni' | 'admits'>): void {
    this.options = { ...this.options, ...settings, sni: settings.sni, admits: settings.admits }
    this.config = settings.config
  }

  /** The bound address (after `listen`). */
  address (): AddressInfo {
    return this.server.address() as AddressInfo
  }

  /** Open client connections. */
  get openConnections (): number {
    return this.connections.size
  }

  /**
   * Stop accepting; wait for open connections to finish for up to
   * `drainTimeoutMs`, then destroy those left.
   */
  async close (drainTimeoutMs: number): Promise<void> {
    this.closing = true
    for (const connection of this.held ?? []) connection.drop()
    this.held = undefined
    const wasListening = this.server.listening
    const closed = new Promise<void>((resolve) => { this.server.close(() => { resolve() }) })
    if (!wasListening) return
    if (this.connections.size > 0) {
      this.log.info({ listener: this.name, open: this.connections.size, drainTimeoutMs }, 'tcp listener closing: waiting for open connections')
      const deadline = Date.now() + drainTimeoutMs
      while (this.connections.size > 0 && Date.now() < deadline) await delay(Math.min(50, Math.max(1, deadline - Date.now())))
      for (const connection of this.connections) this.teardown(connection)
    }
    await closed
  }

  /** The `/status` object of this listener. */
  describe (): L4ListenerStatus {
    const live = new Map<L4Counters, { bytesIn: number, bytesOut: number }>()
    let liveIn = 0
    let liveOut = 0
    for (const connection of this.connections) {
      const bytesIn = connection.client.bytesRead
      const bytesOut = connection.client.bytesWritten
      liveIn += bytesIn
      liveOut += bytesOut
      if (connection.counters === undefined) continue
      const sum = live.get(connection.counters) ?? { bytesIn: 0, bytesOut: 0 }
      sum.bytesIn += bytesIn
      sum.bytesOut += bytesOut
      live.set(connection.counters, sum)
    }
    const status = this.stats.describe('tcp', this.name, this.options.pool.name, live)
    // Bytes of connections without a target yet (still connecting) count on the listener only.
    let attributed = 0
    for (const sum of live.values()) attributed += sum.bytesIn
    status.bytesIn += liveIn - attributed
    attributed = 0
    for (const sum of live.values()) attributed += sum.bytesOut
    status.bytesOut += liveOut - attributed
    return status
  }

  /** `host:port` as bound (set by `listen`), for logs and `/status`. */
  private name: string

  /** Whether `address` may not connect now (closing, full, or not allowed). */
  private refuses (address: string | undefined): boolean {
    return this.closing || address === undefined || this.connections.size >= this.config.maxConnections ||
      (this.options.admits !== undefined && !this.options.admits(address))
  }

  /** A connection as its handle (`interceptConnections`): the client's one Socket is made here. */
  private acceptHandle (handle: object): void {
    if (this.held !== undefined) {
      this.hold({ serve: () => { this.acceptHandle(handle) }, drop: () => { (handle as { close?: () => void }).close?.() } })
      return
    }
    const toUpstream = new Pump(this.buffers)
    const client = socketOnHandle(handle, toUpstream.onread)
    if (this.refuses(client.remoteAddress)) {
      this.stats.refused++
      client.destroy()
      toUpstream.release()
      return
    }
    this.admit(client, toUpstream)
  }

  /** A connection as `net.Server` made it (when its handle cannot be intercepted). */
  private acceptSocket (accepted: Socket): void {
    if (this.held !== undefined) {
      accepted.on('error', () => { accepted.destroy() })
      this.hold({ serve: () => { this.acceptSocket(accepted) }, drop: () => { accepted.destroy() } })
      return
    }
    const address = accepted.remoteAddress
    if (this.refuses(address)) {
      this.stats.refused++
      accepted.destroy()
      return
    }
    const toUpstream = new Pump(this.buffers)
    const client = adoptAccepted(accepted, toUpstream.onread)
    if (client === undefined) {
      this.stats.dropped++
      toUpstream.release()
      this.log.warn({ listener: this.name, client: address }, 'tcp connection closed: its socket has no handle to read from')
      return
    }
    this.admit(client, toUpstream)
  }

  /** Keep a connection for `serve()` (a listener bound by a reload not yet applied), up to `maxConnections`. */
  private hold (connection: HeldConnection): void {
    const held = this.held as HeldConnection[]
    if (held.length < this.config.maxConnections) held.push(connection)
    else connection.drop()
  }

  private admit (client: Socket, toUpstream: Pump): void {
    const address = client.remoteAddress as string
    toUpstream.attach(client)
    const connection: Connection = { client, toUpstream, upstream: undefined, toClient: undefined, target: undefined, counters: undefined, startedAt: Date.now(), headerBytes: 0, piped: false, finished: false }
    this.connections.add(connection)
    this.stats.counters.active++
    this.stats.counters.total++
    client.on('error', () => { this.teardown(connection) })
    // Done when both sockets have closed (each closes once both its directions are done,
    // so data still flushing the other way is not cut), or at once on an error or timeout.
    client.on('close', () => { if (!connection.piped || connection.upstream === undefined || connection.upstream.destroyed) this.teardown(connection) })
    client.setTimeout(this.config.idleTimeoutMs, () => { this.teardown(connection) })
    if (this.options.sni === undefined) {
      this.connectUpstream(connection, this.options.pool, new Set(), 0)
      return
    }
    // The ClientHello is read into the pump's held bytes (sent upstream first once connected)
    // and, as it comes, into a stream the ClientHello parser reads.
    const sni = this.options.sni
    const hello = new PassThrough()
    toUpstream.onHeld = (chunk) => { hello.write(chunk) }
    client.once('end', () => { hello.end() })
    toUpstream.hold()
    peekServerName(hello, this.config.clientHelloTimeoutMs).then((result) => {
      toUpstream.stop()
      toUpstream.onHeld = undefined
      hello.destroy()
      if (connection.finished) return
      if (!result.ok) {
        this.stats.dropped++
        this.log.info({ listener: this.name, client: address, why: result.why }, 'tcp connection closed: no valid TLS ClientHello')
        this.teardown(connection)
        return
      }
      const poolName = sni.route(result.serverName)
      const pool = poolName === undefined ? this.options.pool : sni.pools.get(poolName) ?? this.options.pool
      this.connectUpstream(connection, pool, new Set(), 0)
    }, () => { this.teardown(connection) })
  }

  /** Try one target of `pool`; on a failed connect, the next (up to `retries`). */
  private connectUpstream (connection: Connection, pool: Pool, tried: Set<Target>, attempt: number): void {
    const { client } = connection
    const clientAddress = client.remoteAddress as string
    const target = pool.pickTargetByKey(unmapIPv4(clientAddress), tried)
    if (target === undefined) {
      this.stats.dropped++
      this.log.warn({ listener: this.name, pool: pool.name, client: clientAddress, tried: tried.size }, 'tcp connection closed: no target available')
      this.teardown(connection)
      return
    }
    const counters = this.stats.target(pool, target)
    target.requests++
    target.inFlight++
    connection.target = target
    connection.counters = counters
    const url = target.url
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    const toClient = new Pump(this.buffers)
    const upstream = connect({ host, port: Number(url.port), onread: toClient.onread, ...SOCKET_OPTIONS })
    toClient.attach(upstream)
    connection.upstream = upstream
    connection.toClient = toClient
    let connected = false
    const timer = setTimeout(() => { upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })) }, this.config.connectTimeoutMs)
    upstream.once('connect', () => {
      clearTimeout(timer)
      connected = true
      if (connection.finished) {
        upstream.destroy()
        return
      }
      // A good connect ends the target's failure streak (as a response does in L7).
      if (target.consecutiveFailures !== 0) target.consecutiveFailures = 0
      counters.active++
      counters.total++
      if (this.config.proxyProtocol !== 'off') {
        const header = buildProxyHeader(this.config.proxyProtocol as 'v1' | 'v2', {
          sourceAddress: clientAddress,
          sourcePort: client.remotePort as number,
          destinationAddress: client.localAddress as string,
          destinationPort: client.localPort as number
        })
        connection.headerBytes = header.length
        upstream.write(header)
      }
      connection.piped = true
      connection.toUpstream.start(upstream)
      toClient.start(client)
    })
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (connected) {
        this.teardown(connection)
        return
      }
      // The connect failed: nothing of the client's was sent, so another target may take it.
      target.inFlight--
      target.failures++
      target.consecutiveFailures++
      counters.connectFailures++
      this.stats.counters.connectFailures++
      connection.target = undefined
      connection.counters = undefined
      connection.upstream = undefined
      connection.toClient = undefined
      toClient.release() // the failed socket is destroyed
      const code = err.code ?? 'ECONNREFUSED'
      pool.outlier?.onFailure(target, code, Date.now())
      this.log.warn({ listener: this.name, pool: pool.name, target: target.id, code, attempt }, 'tcp connect to target failed')
      if (connection.finished) return
      tried.add(target)
      if (attempt < pool.config.retries && !this.closing) {
        this.connectUpstream(connection, pool, tried, attempt + 1)
      } else {
        this.stats.dropped++
        this.teardown(connection)
      }
    })
    upstream.on('close', () => {
      clearTimeout(timer)
      if (connected && client.destroyed) this.teardown(connection)
    })
  }

  /** End a connection once (both sockets), count it and write its access line. */
  private teardown (connection: Connection): void {
    if (connection.finished) return
    connection.finished = true
    this.connections.delete(connection)
    const { client, upstream, target, counters } = connection
    client.destroy()
    upstream?.destroy()
    connection.toUpstream.release()
    connection.toClient?.release()
    const bytesIn = client.bytesRead
    const bytesOut = client.bytesWritten
    this.stats.counters.active--
    this.stats.counters.bytesIn += bytesIn
    this.stats.counters.bytesOut += bytesOut
    if (target !== undefined && counters !== undefined) {
      target.inFlight--
      counters.active--
      counters.bytesIn += bytesIn
      counters.bytesOut += bytesOut
    }
    this.log.info({
      listener: this.name,
      client: client.remoteAddress,
      target: target?.id,
      ms: Date.now() - connection.startedAt,
      bytesIn,
      bytesOut
    }, 'tcp access')
  }
}

async function delay (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
