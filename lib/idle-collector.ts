/**
 * Gives back, in a quiet spell, the memory a busy one left behind. V8 collects
 * garbage when JavaScript allocates, so a gateway that goes quiet after a load
 * keeps what the load's garbage grew (young generation, old-space pages, the
 * ArrayBuffers of socket reads and bodies that no longer live) until traffic
 * comes back: 100,000 requests left ~40 MiB that no collection ever came for
 * (bench/cache-memory.ts), and V8's own memory reducer did not run in 30 s.
 *
 * Once a second the collector reads the event loop's utilisation over that
 * second and the heap's footprint (V8 heap + external memory). When the loop
 * has been quiet for `quietTicks` seconds in a row and the footprint has grown
 * by `minGrowthBytes` since the last collection, it runs a full collection,
 * and a second one a tick later if it is still quiet (V8 frees the memory
 * behind dead ArrayBuffers when the collection after the one that found them
 * ends). A busy gateway is never paused by it; a quiet one pays one pause
 * (tens of ms) per busy spell.
 *
 * Its first collection also sets V8's old-generation limit from what lives:
 * until its first full collection V8 lets the old generation grow to a large
 * initial limit, and a load that follows (a cache fill) piled its garbage up
 * to it. So the first collection comes sooner, after `firstGrowthBytes` (a
 * couple of thousand requests' worth). The footprint it starts from is read at its
 * first tick, once start-up is done, so a gateway that has served next to
 * nothing is left as it is: a collection then (a second or two after the first requests) left
 * 5-8 MB of a worker thread's malloc arena resident in one start of four
 * (idle RSS 73 MB, against 59-66 without it).
 *
 * `main()` keeps a tick object alive before this starts (lib/v8-tuning.ts): a
 * full collection while none is alive, before the hot path has warmed up, left
 * every later request 16 % dearer in CPU.
 *
 * `IdleCollector` is the decision, with its readings and the collection given
 * (unit-tested without V8); `startIdleCollector` wires it to V8 for the
 * gateway's own process (`main()`), which is where the collection is exposed.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks'
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export interface IdleCollectorOptions {
  /** Loop utilisation (0–1) at or below which a tick counts as quiet. Default 0.02. */
  quietUtilization?: number
  /** Quiet ticks in a row before collecting. Default 2. */
  quietTicks?: number
  /** Growth of the footprint since the last collection that makes one worth it. Default 16 MiB. */
  minGrowthBytes?: number
  /** The same for the first collection, from the footprint at the first tick. Default 2 MiB. */
  firstGrowthBytes?: number
}

export interface IdleReadings {
  /** Share of the last tick the event loop was busy (0–1). */
  utilization: () => number
  /** Bytes the heap holds now (V8 heap + external memory). */
  footprint: () => number
  /** A full garbage collection. */
  collect: () => void
}

export class IdleCollector {
  private readonly readings: IdleReadings
  private readonly quietUtilization: number
  private readonly quietTicks: number
  private readonly minGrowthBytes: number
  private readonly firstGrowthBytes: number
  private quiet = 0
  /** Footprint after the last collection; undefined until the first tick. */
  private baseline: number | undefined
  private followUp = false
  /** Collections run so far (each pair counts once). */
  collections = 0

  constructor (readings: IdleReadings, options: IdleCollectorOptions = {}) {
    this.readings = readings
    this.quietUtilization = options.quietUtilization ?? 0.02
    this.quietTicks = options.quietTicks ?? 2
    this.minGrowthBytes = options.minGrowthBytes ?? 16 * 1024 * 1024
    this.firstGrowthBytes = options.firstGrowthBytes ?? 2 * 1024 * 1024
  }

  /** One tick (a second): reads the loop, and collects when the rule above says so. */
  tick (): void {
    const utilization = this.readings.utilization()
    if (this.baseline === undefined) {
      this.baseline = this.readings.footprint()
      return
    }
    if (this.followUp) {
      // The second collection, unless traffic is back (its own collections then free the rest).
      this.followUp = false
      if (utilization <= this.quietUtilization) this.readings.collect()
      this.baseline = this.readings.footprint()
      return
    }
    this.quiet = utilization <= this.quietUtilization ? this.quiet + 1 : 0
    if (this.quiet < this.quietTicks) return
    const footprint = this.readings.footprint()
    if (footprint < this.baseline) this.baseline = footprint
    if (footprint - this.baseline < (this.collections === 0 ? this.firstGrowthBytes : this.minGrowthBytes)) return
    this.readings.collect()
    this.collections++
    this.followUp = true
    this.quiet = 0
  }
}

/** V8's full collection, exposed by setting --expose-gc and reading `gc` from a fresh context. */
export function exposedCollection (): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** Run an IdleCollector once a second for this process (the timer does not keep it alive). */
export function startIdleCollector (options: IdleCollectorOptions = {}): { collector: IdleCollector, stop: () => void } {
  const collect = exposedCollection()
  let last: EventLoopUtilization = performance.eventLoopUtilization()
  const collector = new IdleCollector({
    utilization: () => {
      const now = performance.eventLoopUtilization()
      const delta = performance.eventLoopUtilization(now, last)
      last = now
      return delta.utilization
    },
    footprint: () => {
      const heap = getHeapStatistics()
      return heap.total_heap_size + heap.external_memory
    },
    collect
  }, options)
  const timer = setInterval(() => { collector.tick() }, 1000)
  timer.unref()
  return { collector, stop: () => { clearInterval(timer) } }
}
