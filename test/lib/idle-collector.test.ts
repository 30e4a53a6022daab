/**
 * The idle collector (lib/idle-collector.ts): it collects in the first quiet
 * spell after start-up and then only after a busy spell that grew the heap,
 * never while the loop is busy, twice per spell (the second frees what dead
 * ArrayBuffers held) unless traffic is back by then; and the collection it
 * wires to V8 really collects.
 */
import t from 'tap'
import { IdleCollector, exposedCollection } from '../../lib/idle-collector.js'

const MiB = 1024 * 1024

/** An IdleCollector fed scripted readings: `run([[utilization, footprintMiB], …])` gives the ticks that collected. */
function scripted (options = {}): { run: (ticks: Array<[number, number]>) => number[] } {
  let utilization = 0
  let footprint = 0
  let collectedAt: number[] = []
  let tick = 0
  const collector = new IdleCollector({
    utilization: () => utilization,
    footprint: () => footprint * MiB,
    collect: () => { collectedAt.push(tick) }
  }, options)
  return {
    run: (ticks) => {
      collectedAt = []
      for (const [u, f] of ticks) {
        utilization = u
        footprint = f
        tick++
        collector.tick()
      }
      return collectedAt
    }
  }
}

t.test('the first quiet spell after start-up collects, twice, even without growth; an idle gateway then is left alone', async (t) => {
  const c = scripted()
  t.same(c.run([[0.5, 20], [0, 20], [0, 20], [0, 20]]), [3, 4], 'quiet on ticks 2 and 3: collects on tick 3 and again on 4')
  t.same(c.run(Array.from({ length: 30 }, () => [0, 20] as [number, number])), [], 'thirty more quiet seconds: nothing')
})

t.test('after that, a busy spell collects once quiet only when it grew the heap by the minimum', async (t) => {
  const c = scripted({ minGrowthBytes: 16 * MiB })
  c.run([[0, 20], [0, 20], [0, 20]])
  t.same(c.run([[0.9, 30], [0.9, 30], [0, 30], [0, 30], [0, 30]]), [], 'grew 10 MiB: no collection')
  const collected = c.run([[0.9, 60], [0.9, 60], [0, 60], [0, 60], [0, 60], [0, 60]])
  t.same(collected.length, 2, 'grew 40 MiB: a collection and its follow-up')
})

t.test('a busy tick restarts the quiet count, and nothing is collected while the loop is busy', async (t) => {
  const c = scripted({ quietTicks: 3 })
  t.same(c.run([[0, 20], [0, 20], [0.3, 20], [0, 20], [0, 20]]), [], 'two quiet, one busy, two quiet: not yet')
  t.same(c.run([[0, 20]]).length, 1, 'the third quiet tick in a row collects')
  const busy = scripted()
  t.same(busy.run(Array.from({ length: 20 }, () => [0.5, 100] as [number, number])), [], 'always busy: never')
})

t.test('the follow-up collection is skipped when traffic is back', async (t) => {
  const c = scripted()
  t.same(c.run([[0, 20], [0, 20], [0.8, 20], [0, 20]]), [2], 'collected on tick 2; tick 3 busy: no second')
})

t.test('the collection wired to V8 frees what nothing references', async (t) => {
  const collect = exposedCollection()
  let ref: WeakRef<object> | undefined
  ;(() => { ref = new WeakRef({ big: new Array(1000).fill(1) }) })()
  // A WeakRef's target stays alive until the job that made it ends.
  await new Promise((resolve) => setImmediate(resolve))
  collect()
  t.equal(ref?.deref(), undefined, 'the unreferenced object is gone')
})
