/**
 * Pump: what `from` sends before `start` (an SNI listener's ClientHello, a
 * server's greeting) is kept and goes to `to` first, and an `end` that came
 * with it is passed on after it.
 */
import t from 'tap'
import { startPumpPair, until } from '../helpers/pump.js'

t.test('bytes and end read before start reach `to` in order once started', async (t) => {
  const pair = await startPumpPair()
  t.teardown(pair.close)
  const seen: Buffer[] = []
  pair.pump.onHeld = (chunk) => { seen.push(chunk) }
  pair.pump.hold()
  pair.source.end('hello, ')
  t.ok(await until(() => Buffer.concat(seen).toString() === 'hello, '), 'onHeld saw the bytes as they came')
  // The end arrives while nothing is started: the pump keeps it too.
  await new Promise((resolve) => setTimeout(resolve, 50))

  let got = ''
  let ended = false
  pair.sink.on('data', (chunk: Buffer) => { got += chunk.toString() })
  pair.sink.on('end', () => { ended = true })
  pair.pump.start(pair.to)
  t.ok(await until(() => ended), 'the sink saw the end')
  t.equal(got, 'hello, ', 'the held bytes went first, whole')
})

t.test('after start, what `from` reads follows what was held', async (t) => {
  const pair = await startPumpPair()
  t.teardown(pair.close)
  pair.pump.hold()
  pair.source.write('first ')
  await until(() => pair.from.bytesRead === 6)
  pair.pump.stop()
  pair.source.write('second ')
  await new Promise((resolve) => setTimeout(resolve, 50))

  let got = ''
  pair.sink.on('data', (chunk: Buffer) => { got += chunk.toString() })
  pair.pump.start(pair.to)
  pair.source.end('third')
  t.ok(await until(() => got === 'first second third'), `in order: ${got}`)
})
