/**
 * Counters of one L4 listener and of each target it sent work to (SPEC.md
 * "Observability"): active and total connections (sessions for UDP), bytes
 * each way, connect failures. Plain numbers written by the listener; the
 * `/status` object is built from them when asked. Framework-free.
 */
import type { Target } from '../pools/target.js'
import type { Pool } from '../pools/pool.js'
import type { L4Counters, L4ListenerStatus, L4TargetStatus } from '../../lib/l4-status.js'

export function newCounters (): L4Counters {
  return { active: 0, total: 0, bytesIn: 0, bytesOut: 0, connectFailures: 0 }
}

interface TargetEntry {
  pool: Pool
  counters: L4Counters
}

export class ListenerStats {
  readonly counters = newCounters()
  refused = 0
  dropped = 0
  evicted = 0
  private readonly perTarget = new Map<Target, TargetEntry>()
  /** Targets that left the listener's pools with connections still open (see `prune`). */
  private readonly leaving = new Set<Target>()

  /** The counters of `target` (created on first use). */
  target (pool: Pool, target: Target): L4Counters {
    let entry = this.perTarget.get(target)
    if (entry === undefined) {
      entry = { pool, counters: newCounters() }
      this.perTarget.set(target, entry)
    }
    return entry.counters
  }

  /**
   * Forget the targets that `keeps` no longer wants (a reload took them out
   * of the listener's pools) once nothing of theirs is open: at once, or
   * when `describe` finds them idle.
   */
  prune (keeps: (target: Target) => boolean): void {
    this.leaving.clear()
    for (const [target, entry] of this.perTarget) {
      if (keeps(target)) continue
      if (entry.counters.active === 0) this.perTarget.delete(target)
      else this.leaving.add(target)
    }
  }

  /**
   * The status object. `live` adds the bytes of connections still open
   * (counted into the totals only when they close) per target.
   */
  describe (protocol: 'tcp' | 'udp', address: string, pool: string, live?: Map<L4Counters, { bytesIn: number, bytesOut: number }>): L4ListenerStatus {
    const targets: L4TargetStatus[] = []
    let liveIn = 0
    let liveOut = 0
    for (const target of this.leaving) {
      if (this.perTarget.get(target)?.counters.active !== 0) continue
      this.perTarget.delete(target)
      this.leaving.delete(target)
    }
    for (const [target, entry] of this.perTarget) {
      const extra = live?.get(entry.counters)
      if (extra !== undefined) {
        liveIn += extra.bytesIn
        liveOut += extra.bytesOut
      }
      targets.push({
        pool: entry.pool.name,
        id: target.id,
        url: target.origin,
        ...entry.counters,
        bytesIn: entry.counters.bytesIn + (extra?.bytesIn ?? 0),
        bytesOut: entry.counters.bytesOut + (extra?.bytesOut ?? 0)
      })
    }
    const status: L4ListenerStatus = {
      protocol,
      address,
      pool,
      ...this.counters,
      bytesIn: this.counters.bytesIn + liveIn,
      bytesOut: this.counters.bytesOut + liveOut,
      refused: this.refused,
      dropped: this.dropped,
      targets
    }
    if (protocol === 'udp') status.evicted = this.evicted
    return status
  }
}
