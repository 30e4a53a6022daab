/**
 * Http1Agent's backpressure from the caller: onData (or onHeaders) returning
 * false stops reading from the target, so a large body stops arriving,
 * until the caller calls the `resume` it was handed; then the rest arrives
 * and the response completes with every byte. The target, meanwhile, is
 * held up (its writes do not finish).
 */
import t from 'tap'
import { httpTarget, newAgent, send, sleep } from '../helpers/http1.js'

const TOTAL_BYTES = 16 * 1024 * 1024

async function bigTarget (t: Parameters<typeof httpTarget>[0]): Promise<{ origin: string, finished: () => boolean }> {
  let finished = false
  const payload = Buffer.alloc(TOTAL_BYTES)
  for (let i = 0; i < payload.length; i += 4) payload.writeUInt32BE(i, i)
  const target = await httpTarget(t, (_req, res) => {
    res.setHeader('content-length', payload.length)
    res.on('finish', () => { finished = true })
    res.end(payload)
  })
  return { origin: target.origin, finished: () => finished }
}

function checkPayload (t: { ok: (v: unknown, m: string) => void }, body: Buffer): void {
  let intact = body.length === TOTAL_BYTES
  for (let i = 0; intact && i < body.length; i += 4) intact = body.readUInt32BE(i) === i
  t.ok(intact, `all ${TOTAL_BYTES} bytes, in order (${body.length} received)`)
}

t.test('onData returning false pauses the body until resume()', async (t) => {
  const target = await bigTarget(t)
  const agent = newAgent(t)
  let paused = true
  const seen = send(agent, target.origin, { onData: () => !paused })
  while (seen.body.length === 0) await sleep(5)
  await sleep(200)
  const heldAt = seen.body.length
  await sleep(300)
  t.equal(seen.body.length, heldAt, `no byte arrived while paused (${heldAt} bytes in)`)
  t.ok(heldAt < TOTAL_BYTES / 4, 'the pause held most of the body back')
  t.equal(seen.completions, 0)
  t.notOk(target.finished(), 'the target is held up too')
  paused = false
  seen.resume()
  await seen.done
  t.same(seen.events, ['connect', 'headers 200', 'data', 'complete'])
  checkPayload(t, seen.body)
})

t.test('pausing again and again, resumed from outside each time', async (t) => {
  const target = await bigTarget(t)
  const agent = newAgent(t)
  let sinceResume = 0
  let pauses = 0
  const seen = send(agent, target.origin, {
    onData: (chunk) => {
      sinceResume += chunk.length
      if (sinceResume < 1024 * 1024) return true
      sinceResume = 0
      pauses++
      setTimeout(() => { seen.resume() }, 5)
      return false
    }
  })
  await seen.done
  t.ok(pauses >= 8, `paused ${pauses} times`)
  checkPayload(t, seen.body)
})

t.test('onHeaders returning false holds the body back until resume()', async (t) => {
  const target = await bigTarget(t)
  const agent = newAgent(t)
  const seen = send(agent, target.origin, { onHeaders: () => false })
  while (seen.heads.length === 0) await sleep(5)
  await sleep(300)
  const heldAt = seen.body.length
  t.ok(heldAt < TOTAL_BYTES / 4, `little of the body came (${heldAt} bytes)`)
  await sleep(200)
  t.equal(seen.body.length, heldAt, 'and nothing more while paused')
  seen.resume()
  await seen.done
  checkPayload(t, seen.body)
})

t.test('the connection is reused after a paused and resumed response', async (t) => {
  const payload = Buffer.alloc(2 * 1024 * 1024, 'z')
  const target = await httpTarget(t, (req, res) => { res.end(req.url === '/big' ? payload : 'small') })
  const agent = newAgent(t)
  const big = send(agent, target.origin, {
    path: '/big',
    onData: () => {
      setTimeout(() => { big.resume() }, 1)
      return false
    }
  })
  await big.done
  t.equal(big.body.length, payload.length)
  const small = send(agent, target.origin, { path: '/small' })
  await small.done
  t.equal(small.body.toString(), 'small')
  t.equal(target.accepted, 1)
})
