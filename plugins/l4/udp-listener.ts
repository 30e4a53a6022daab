/**
 * One UDP listener of Layer 4 (nginx `stream` udp, Envoy `udp_proxy`):
 * datagrams are grouped in sessions keyed by the client's address and port;
 * each session is given one target by the pool's balancer (health-aware, as
 * for TCP; `consistent-hash` keys on the client IP) and its own socket,
 * connected to that target (so the kernel passes only the target's replies,
 * and reports ICMP unreachable), whose replies go back to that client. A session ends after `sessionTimeoutMs`
 * without a datagram either way; beyond `maxSessions` the least recently
 * active session is evicted. A target that answers with ICMP unreachable
 * counts as a connect failure (passive health, as in L7) and ends the session.
 * Framework-free; `switchyard-l4` (index.ts) starts and closes it.
 *
 * On a config reload (`L4ListenerSet`, listener-set.ts): a new listener may be
 * bound with `listen({ hold: true })` and takes no session until `open()`; one
 * that stays takes new settings with `update()` (for new sessions; open ones
 * keep their target); a removed one `retire`s: no new session, the open ones
 * go on (the listening socket carries their replies) until they end or the
 * drain deadline passes, then it closes.
 *
 * Several processes sharing one socket (node:cluster workers: the primary binds
 * and gives each worker the same socket) would each take some of a client's
 * datagrams and open a session of their own for them — another upstream socket,
 * perhaps another target. With `reading: false` (`setReading`) the socket stays
 * bound but is not read from (libuv's `recvStop` on the handle, a private API
 * of node:dgram, as nginx needs `reuseport` for the same reason): one process
 * of the group reads and holds every session; datagrams wait in the kernel's
 * buffer while none does.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { Pool } from '../pools/pool.js'
import type { Target } from '../pools/target.js'
import type { L4Counters, L4ListenerStatus } from '../../lib/l4-status.js'
import { ListenerStats } from './stats.js'
import { unmapIPv4 } from './proxy-header.js'
import type { UdpListenerConfig } from './options.js'

import { silentL4Logger, type L4Logger } from './logger.js'

/** Datagrams a new session holds while its socket connects. */
const MAX_PENDING_DATAGRAMS = 64

export interface UdpListenerOptions {
  config: UdpListenerConfig
  pool: Pool
  /** `(client address) => may it send`; undefined lets everyone in. */
  admits?: ((address: string) => boolean) | undefined
  /** Address to bind when the config names none. */
  defaultHost: string
  /** Read datagrams once bound (default true); false: bound, not read from, until `setReading(true)`. */
  reading?: boolean
  log?: L4Logger
}

interface Session {
  key: string
  clientAddress: string
  clientPort: number
  target: Target
  counters: L4Counters
  socket: Socket
  /** Datagrams that arrived before the session's socket was connected (bounded). */
  pending: Buffer[] | undefined
  timer: NodeJS.Timeout
  startedAt: number
  bytesIn: number
  bytesOut: number
  ended: boolean
}

export class UdpListener {
  /** The settings of new sessions (replaced by `update`). */
  config: UdpListenerConfig
  readonly stats = new ListenerStats()
  private options: UdpListenerOptions
  private readonly log: L4Logger
  private socket: Socket | undefined
  /** Sessions in order of last activity (a Map keeps insertion order: first = least recent). */
  private readonly sessions = new Map<string, Session>()
  private closing = false
  /** New sessions are opened (false while held by `listen({ hold: true })` and once retiring). */
  private accepting = true
  /** The bound socket is read from (see `setReading`). */
  private reading: boolean

  constructor (options: UdpListenerOptions) {
    this.options = options
    this.config = options.config
    this.log = options.log ?? silentL4Logger
    this.reading = options.reading ?? true
    this.name = `${this.config.host ?? options.defaultHost}:${this.config.port}`
  }

  /** Bind and serve; with `hold`, no session opens until `serve()`. The socket is made here (building a listener opens nothing). */
  async listen ({ hold = false }: { hold?: boolean } = {}): Promise<void> {
    if (hold) this.accepting = false
    const host = this.config.host ?? this.options.defaultHost
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false })
    this.socket = socket
    socket.on('message', (message, rinfo) => { this.onClientDatagram(message, rinfo) })
    socket.on('error', (err) => { this.log.warn({ listener: this.name, code: (err as NodeJS.ErrnoException).code }, 'udp listener error') })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(this.config.port, host, () => {
        socket.off('error', reject)
        const address = socket.address()
        this.name = `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
        // node:dgram started reading on bind; in the same tick, before any datagram is read.
        if (!this.reading) this.applyReading()
        resolve()
      })
    })
  }

  /**
   * Read the socket's datagrams, or leave them to another process sharing
   * it (`reading: false`). Returns false when this Node's dgram handle offers
   * no way to stop reading (then it keeps reading).
   */
  setReading (reading: boolean): boolean {
    this.reading = reading
    return this.socket === undefined || this.closing ? true : this.applyReading()
  }

  private applyReading (): boolean {
    const state = dgramState(this.socket as Socket)
    const handle = state?.handle
    if (state === undefined || typeof handle?.recvStart !== 'function' || typeof handle.recvStop !== 'function') {
      this.log.warn({ listener: this.name }, 'udp listener cannot stop reading on this Node: another process sharing its socket may split sessions')
      return false
    }
    if (this.reading === state.receiving) return true
    if (this.reading) handle.recvStart()
    else handle.recvStop()
    // node:dgram's own flag: its close() stops reading only when it is set.
    state.receiving = this.reading
    return true
  }

  /** Open sessions from now on (after `listen({ hold: true })`); `open` is what opens one. */
  serve (): void {
    if (!this.closing) this.accepting = true
  }

  /** New settings (config reload) for sessions opened from now on; open sessions keep their target. */
  update (settings: Pick<UdpListenerOptions, 'config' | 'pool' | 'admits'>): void {
    this.options = { ...this.options, ...settings, admits: settings.admits }
    this.config = settings.config
  }

  /**
   * Removed from the config: no new session; open ones go on until they end
   * (`sessionTimeoutMs` of silence) or `drainTimeoutMs` passes; then `close`.
   */
  async retire (drainTimeoutMs: number): Promise<void> {
    this.accepting = false
    const deadline = Date.now() + drainTimeoutMs
    while (this.sessions.size > 0 && !this.closing && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now()))))
    }
    await this.close()
  }

  address (): { address: string, port: number } {
    if (this.socket === undefined) throw new Error('udp listener not bound')
    return this.socket.address()
  }

  get sessionCount (): number {
    return this.sessions.size
  }

  /** Stop receiving and end every session. */
  async close (): Promise<void> {
    if (this.closing) return
    this.closing = true
    for (const session of [...this.sessions.values()]) this.end(session, 'closing')
    const socket = this.socket
    if (socket === undefined) return
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => { resolve() })
      } catch {
        resolve() // bind failed
      }
    })
  }

  describe (): L4ListenerStatus {
    return this.stats.describe('udp', this.name, this.options.pool.name)
  }

  /** `host:port` as bound (set by `listen`), for logs and `/status`. */
  private name: string

  private onClientDatagram (message: Buffer, rinfo: RemoteInfo): void {
    if (this.closing) return
    const key = `${rinfo.address}|${rinfo.port}`
    let session = this.sessions.get(key)
    if (session === undefined) {
      if (!this.accepting) return
      if (this.options.admits !== undefined && !this.options.admits(rinfo.address)) {
        this.stats.refused++
        return
      }
      session = this.open(key, rinfo)
      if (session === undefined) return
    } else {
      // Most recently active last: eviction takes the first.
      this.sessions.delete(key)
      this.sessions.set(key, session)
      session.timer.refresh()
    }
    session.bytesIn += message.length
    session.counters.bytesIn += message.length
    this.stats.counters.bytesIn += message.length
    if (session.pending === undefined) session.socket.send(message)
    else if (session.pending.length < MAX_PENDING_DATAGRAMS) session.pending.push(message)
  }

  private open (key: string, rinfo: RemoteInfo): Session | undefined {
    const pool = this.options.pool
    const target = pool.pickTargetByKey(unmapIPv4(rinfo.address))
    if (target === undefined) {
      this.stats.dropped++
      return undefined
    }
    while (this.sessions.size >= this.config.maxSessions) {
      const oldest = this.sessions.values().next().value as Session
      this.stats.evicted++
      this.end(oldest, 'evicted')
    }
    const url = target.url
    const targetHost = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    const socket = createSocket(isIPv6(targetHost) ? 'udp6' : 'udp4')
    const counters = this.stats.target(pool, target)
    const session: Session = {
      key,
      clientAddress: rinfo.address,
      clientPort: rinfo.port,
      target,
      counters,
      socket,
      pending: [],
      timer: setTimeout(() => { this.end(session, 'timeout') }, this.config.sessionTimeoutMs),
      startedAt: Date.now(),
      bytesIn: 0,
      bytesOut: 0,
      ended: false
    }
    socket.connect(Number(url.port), targetHost, () => {
      const pending = session.pending ?? []
      session.pending = undefined
      if (!session.ended) for (const message of pending) socket.send(message)
    })
    socket.on('message', (reply) => {
      if (session.ended) return
      session.timer.refresh()
      this.sessions.delete(key)
      this.sessions.set(key, session)
      session.bytesOut += reply.length
      counters.bytesOut += reply.length
      this.stats.counters.bytesOut += reply.length
      this.socket?.send(reply, session.clientPort, session.clientAddress)
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // ICMP unreachable (ECONNREFUSED) and the like: the target is not serving.
      const code = err.code ?? 'ECONNREFUSED'
      target.failures++
      target.consecutiveFailures++
      counters.connectFailures++
      this.stats.counters.connectFailures++
      pool.outlier?.onFailure(target, code, Date.now())
      this.log.warn({ listener: this.name, pool: pool.name, target: target.id, code }, 'udp target failed')
      this.end(session, code)
    })
    this.sessions.set(key, session)
    target.requests++
    target.inFlight++
    counters.active++
    counters.total++
    this.stats.counters.active++
    this.stats.counters.total++
    return session
  }

  private end (session: Session, why: string): void {
    if (session.ended) return
    session.ended = true
    clearTimeout(session.timer)
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key)
    session.socket.close()
    session.target.inFlight--
    session.counters.active--
    this.stats.counters.active--
    this.log.info({
      listener: this.name,
      client: `${session.clientAddress}:${session.clientPort}`,
      target: session.target.id,
      ms: Date.now() - session.startedAt,
      bytesIn: session.bytesIn,
      bytesOut: session.bytesOut,
      why
    }, 'udp session')
  }
}

/** The part of node:dgram's private socket state that `setReading` uses. */
interface DgramState {
  handle?: { recvStart?: () => number, recvStop?: () => number } | null
  receiving: boolean
}

/** node:dgram keeps a socket's handle under a symbol described `state symbol` (`kStateSymbol`, lib/internal/dgram.js); undefined when it does not. */
function dgramState (socket: Socket): DgramState | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'state symbol')
  const state = key === undefined ? undefined : (socket as unknown as Record<symbol, unknown>)[key]
  return typeof state === 'object' && state !== null && 'receiving' in state ? state as DgramState : undefined
}
