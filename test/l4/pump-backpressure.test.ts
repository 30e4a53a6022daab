/**
 * Pump: while `to` cannot write (its peer does not read), the pump stops
 * reading `from`, so what it holds stays bounded; when the peer reads again
 * everything arrives, byte-exact.
 */
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { startPumpPair, until } from '../helpers/pump.js'

t.test('a sink that does not read stops the pump reading; resumed, all arrives', async (t) => {
  const pair = await startPumpPair()
  t.teardown(pair.close)
  const payload = randomBytes(48 * 1024 * 1024)
  pair.sink.pause()
  pair.pump.start(pair.to)
  pair.source.write(payload)

  // Let the kernel buffers on the way fill up, then check the pump has stopped.
  let last = -1
  await until(() => {
    const now = pair.from.bytesRead
    const still = now === last && now > 0
    last = now
    return still
  }, 10_000)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const readWhileStalled = pair.from.bytesRead
  t.ok(readWhileStalled < payload.length / 2, `the pump stopped reading (${readWhileStalled} of ${payload.length} bytes read)`)
  t.ok(pair.to.writableLength <= 256 * 1024, `what waits in the pump is at most one read buffer (${pair.to.writableLength} bytes)`)

  const sunk = createHash('sha256')
  let sunkBytes = 0
  pair.sink.on('data', (chunk: Buffer) => { sunk.update(chunk); sunkBytes += chunk.length })
  pair.sink.resume()
  t.ok(await until(() => sunkBytes === payload.length, 20_000), 'everything arrived once the sink read')
  t.equal(sunk.digest('hex'), createHash('sha256').update(payload).digest('hex'), 'byte-exact')
})
