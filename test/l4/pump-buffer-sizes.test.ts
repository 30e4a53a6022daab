/**
 * Pump: a direction reads into a 16 KiB buffer, moves to a 256 KiB one when a
 * read fills it (bulk), and goes back after a run of small reads; the buffers
 * come from and go back to the listener's pool (a later pump reuses them).
 */
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { BULK_BUFFER_BYTES, SMALL_BUFFER_BYTES, SMALL_READS_BEFORE_SHRINK, createPumpBuffers } from '../../plugins/l4/pump.js'
import { startPumpPair, until } from '../helpers/pump.js'

t.test('the read buffer grows for bulk, shrinks after small reads, and is reused', async (t) => {
  const buffers = createPumpBuffers()
  const pair = await startPumpPair(buffers)
  t.teardown(pair.close)
  const readBuffer = (): Uint8Array => pair.pump.onread.buffer()
  t.equal(readBuffer().length, SMALL_BUFFER_BYTES, 'a new direction reads into 16 KiB')

  const payload = randomBytes(4 * 1024 * 1024)
  const sunk = createHash('sha256')
  let sunkBytes = 0
  pair.sink.on('data', (chunk: Buffer) => {
    if (sunkBytes < payload.length) sunk.update(chunk)
    sunkBytes += chunk.length
  })
  pair.pump.start(pair.to)
  pair.source.write(payload)
  t.ok(await until(() => sunkBytes === payload.length), 'all of the bulk arrived')
  t.equal(sunk.digest('hex'), createHash('sha256').update(payload).digest('hex'), 'byte-exact')
  const bulk = readBuffer()
  t.equal(bulk.length, BULK_BUFFER_BYTES, 'after reads that filled it, 256 KiB')

  // Small writes, one at a time (each waits for the previous to arrive): small reads.
  for (let i = 0; i < SMALL_READS_BEFORE_SHRINK + 2; i++) {
    const expected = sunkBytes + 10
    pair.source.write('0123456789')
    t.ok(await until(() => sunkBytes === expected), `small write ${i} arrived`)
  }
  t.equal(readBuffer().length, SMALL_BUFFER_BYTES, `after ${SMALL_READS_BEFORE_SHRINK} small reads in a row, 16 KiB again`)
  t.equal(buffers.bulk.take(), bulk, 'the bulk buffer went back to the pool')

  const small = readBuffer()
  pair.from.destroy()
  pair.to.destroy()
  pair.pump.release()
  pair.pump.release() // twice is once
  t.equal(buffers.small.take(), small, 'the small buffer went back to the pool when released')
  t.not(buffers.small.take(), small, 'and only once')
})
