/**
 * The idle collector (lib/idle-collector.ts): it reads the footprint it starts
 * from at its first tick and collects only in a quiet spell after the heap
 * grew (by less before its first collection than after), never while the
 * loop is busy, twice per spell (the second frees what dead ArrayBuffers
 * held) unless traffic is back by then; and the collection it wires to V8
 * really collects.
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

t.test('a gateway that has grown nothing since its first tick is never collected', async (t) => {
  const c = scripted({ firstGrowthBytes: 2 * MiB })
  t.same(c.run([[0.9, 20], [0.5, 21], [0, 21], [0, 21], [0, 21]]), [], 'start-up, one busy second, quiet: nothing (grew 1 MiB)')
  t.same(c.run(Array.from({ length: 30 }, () => [0, 21.5] as [number, number])), [], 'thirty more quiet seconds: nothing (grew 1.5 MiB)')
})

t.test('the first collection comes after firstGrowthBytes, later ones after minGrowthBytes', async (t) => {
  const c = scripted({ firstGrowthBytes: 4 * MiB, minGrowthBytes: 16 * MiB })
  c.run([[0, 20]])
  t.same(c.run([[0.9, 23], [0, 23], [0, 23], [0, 23]]), [], 'grew 3 MiB: no collection')
  t.same(c.run([[0.9, 25], [0, 25], [0, 25], [0, 25]]), [8, 9], 'grew 5 MiB: a collection once quiet for two ticks, and its follow-up')
  t.same(c.run([[0.9, 35], [0.9, 35], [0, 35], [0, 35], [0, 35]]), [], 'then grew 10 MiB: no collection')
  const collected = c.run([[0.9, 60], [0.9, 60], [0, 60], [0, 60], [0, 60], [0, 60]])
  t.same(collected.length, 2, 'grew 35 MiB: a collection and its follow-up')
})

t.test('a busy tick restarts the quiet count, and nothing is collected while the loop is busy', async (t) => {
  const c = scripted({ quietTicks: 3 })
  c.run([[0, 20]])
  t.same(c.run([[0, 30], [0, 30], [0.3, 30], [0, 30], [0, 30]]), [], 'two quiet, one busy, two quiet: not yet')
  t.same(c.run([[0, 30]]).length, 1, 'the third quiet tick in a row collects')
  const busy = scripted()
  t.same(busy.run(Array.from({ length: 20 }, (_, i) => [0.5, 20 + i * 10] as [number, number])), [], 'always busy, growing: never')
})

t.test('the follow-up collection is skipped when traffic is back', async (t) => {
  const c = scripted()
  t.same(c.run([[0, 20], [0, 30], [0, 30], [0.8, 30], [0, 30]]), [3], 'collected on tick 3; tick 4 busy: no second')
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
