/**
 * Regression (issue 10, item 11; found while bringing back the idle
 * collector): a full collection that runs before the hot path has warmed up,
 * while no `process.nextTick` tick object is alive, left every request 16 %
 * dearer in CPU for the life of the process (bench/ab.ts), with the cost in
 * `nextTick` itself. The idle collector's first collection is exactly that,
 * and so is V8's own after an allocation burst at start-up. The gateway's
 * process now keeps one tick object alive (lib/v8-tuning.ts), which measured
 * 1.00×. CPU is measured in bench/, not here; this checks what the fix rests
 * on, in a fresh process as `main()` sets it up: the object kept is one of
 * nextTick's own, it outlives full collections, and the tick objects nextTick
 * makes after them (with and without arguments) have its hidden class.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const TUNING = fileURLToPath(new URL('../../lib/v8-tuning.ts', import.meta.url))

/** Run `body` (an ES module's text, after the tuning module is imported) in a fresh Node with natives syntax. */
function inFreshProcess (body: string): Record<string, unknown> {
  const source = `
    import { executionAsyncResource } from 'node:async_hooks'
    import { tuneV8ForGateway, keptTickObject } from ${JSON.stringify(TUNING)}
    const tick = (...args) => new Promise((resolve) => process.nextTick((...got) => resolve(executionAsyncResource()), ...args))
    ${body}
  `
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--import', 'tsx', '--input-type=module', '-e', source], { encoding: 'utf8', timeout: 20_000 })
  if (run.status !== 0) throw new Error(`child failed (${String(run.status)}): ${run.stderr}`)
  return JSON.parse(run.stdout) as Record<string, unknown>
}

t.test('the gateway process keeps a tick object whose hidden class survives full collections', async (t) => {
  const result = inFreshProcess(`
    const before = keptTickObject()
    tuneV8ForGateway()
    tuneV8ForGateway()
    await tick()
    const kept = keptTickObject()
    const symbols = Object.getOwnPropertySymbols(kept).map(String)
    globalThis.gc(); globalThis.gc()
    const plain = await tick()
    const withArgs = await tick(1, 2)
    process.stdout.write(JSON.stringify({
      before: before === undefined,
      symbols,
      keys: Object.keys(kept),
      stillKept: keptTickObject() === kept,
      sameAsPlain: %HaveSameMap(kept, plain),
      sameAsWithArgs: %HaveSameMap(kept, withArgs)
    }))
  `)
  t.equal(result.before, true, 'nothing is kept before the gateway sets its process up')
  t.same(result.symbols, ['Symbol(async_id_symbol)', 'Symbol(trigger_async_id_symbol)'], 'the object kept is a tick object (its async ids)')
  t.same(result.keys, ['callback', 'args'], 'with the callback and arguments nextTick stores')
  t.equal(result.stillKept, true, 'the same object is kept after full collections (a second call keeps no other)')
  t.equal(result.sameAsPlain, true, 'a tick object made after the collections has the kept one\'s hidden class')
  t.equal(result.sameAsWithArgs, true, 'so does one made with arguments')
})
