/**
 * The shape of Layer 4 listener counters as `/status` and `/metrics` show
 * them. `switchyard-l4` produces it; the admin listener reads it through
 * `fastify.switchyard.l4` at request/scrape time, without importing the L4 plugin.
 */

/** Counters of one L4 listener, or of one target behind it. */
export interface L4Counters {
  /** Open connections (TCP) or live sessions (UDP). */
  active: number
  /** Connections (sessions) ever handled. */
  total: number
  /** Bytes from clients towards targets. */
  bytesIn: number
  /** Bytes from targets back to clients. */
  bytesOut: number
  /** Connects to a target that failed (refused, timed out, unreachable). */
  connectFailures: number
}

export interface L4TargetStatus extends L4Counters {
  pool: string
  id: string
  url: string
}

export interface L4ListenerStatus extends L4Counters {
  protocol: 'tcp' | 'udp'
  /** `host:port` the listener is bound to. */
  address: string
  /** The listener's pool (with `sni`: the pool for unknown or absent names). */
  pool: string
  /** Client connections closed at once: over `maxConnections`, or refused by `allow`/`deny`. */
  refused: number
  /** Connections (datagrams) dropped because no target could take them, or (SNI) a bad or late ClientHello. */
  dropped: number
  /** UDP: sessions evicted to stay under `maxSessions`. */
  evicted?: number
  targets: L4TargetStatus[]
}

/** What the admin listener calls to read every L4 listener's counters. */
export type L4StatusSource = () => L4ListenerStatus[]
