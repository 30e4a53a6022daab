/**
 * Http1Agent sends request bodies as the target must receive them: a
 * Readable with a content-length as is, a Readable without one chunked, a
 * Buffer or string with its length; a body that is shorter or longer than
 * its content-length fails with `UND_ERR_REQ_CONTENT_LENGTH_MISMATCH` and
 * never reaches the target as a whole request; a POST without a body says
 * `content-length: 0`; a Readable body is not read before the connection is
 * up, so a refused connect leaves it unread (the forwarder can replay it).
 */
import t from 'tap'
import { Readable } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { httpTarget, newAgent, rawTarget, send, sleep } from '../helpers/http1.js'
import { deadTcpPort } from '../helpers/l4.js'

interface Received { method: string, headers: IncomingMessage['headers'], body: Buffer }

/** A node:http target that records each request's head and whole body, answering `got N`. */
async function recordingTarget (t: Parameters<typeof httpTarget>[0]): Promise<{ origin: string, received: Received[], accepted: () => number }> {
  const received: Received[] = []
  const target = await httpTarget(t, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      received.push({ method: req.method ?? '', headers: req.headers, body })
      res.end(`got ${body.length}`)
    })
  })
  return { origin: target.origin, received, accepted: () => target.accepted }
}

/** A Readable that yields `parts` one per read, a little apart. */
function slowReadable (parts: Buffer[]): Readable {
  let i = 0
  return new Readable({
    read () {
      const part = parts[i++]
      setTimeout(() => { this.push(part ?? null) }, 5)
    }
  })
}

const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(3000 + i, String.fromCharCode(97 + i)))
const whole = Buffer.concat(parts)

t.test('a Readable with a content-length arrives byte for byte', async (t) => {
  const target = await recordingTarget(t)
  const agent = newAgent(t)
  const seen = send(agent, target.origin, { method: 'PUT', headers: ['host', 'x', 'content-length', String(whole.length)], body: slowReadable(parts) })
  await seen.done
  t.equal(seen.body.toString(), `got ${whole.length}`)
  const got = target.received[0]
  t.equal(got?.headers['content-length'], String(whole.length))
  t.equal(got?.headers['transfer-encoding'], undefined, 'not chunked')
  t.ok(got?.body.equals(whole), 'the same bytes, in order')
})

t.test('a Readable without a content-length is sent chunked', async (t) => {
  const target = await recordingTarget(t)
  const agent = newAgent(t)
  const seen = send(agent, target.origin, { method: 'POST', body: slowReadable(parts) })
  await seen.done
  t.equal(seen.body.toString(), `got ${whole.length}`)
  const got = target.received[0]
  t.equal(got?.headers['transfer-encoding'], 'chunked')
  t.equal(got?.headers['content-length'], undefined)
  t.ok(got?.body.equals(whole), 'the target decodes the same bytes')
  const after = send(agent, target.origin, { method: 'POST', body: Readable.from([Buffer.from('one'), Buffer.from('two')]) })
  await after.done
  t.equal(target.received[1]?.body.toString(), 'onetwo', 'the chunked framing ended cleanly: the next request is whole')
  t.equal(target.accepted(), 1, 'on the same connection')
})

t.test('an empty Readable without a content-length', async (t) => {
  const target = await recordingTarget(t)
  const agent = newAgent(t)
  const seen = send(agent, target.origin, { method: 'POST', body: Readable.from([]) })
  await seen.done
  t.equal(seen.body.toString(), 'got 0')
})

t.test('Buffer and string bodies get their length', async (t) => {
  const target = await recordingTarget(t)
  const agent = newAgent(t)
  const buffer = send(agent, target.origin, { method: 'POST', body: Buffer.from('bytes\r\n\r\nmore') })
  await buffer.done
  const text = send(agent, target.origin, { method: 'PUT', body: 'héllo' })
  await text.done
  t.equal(target.received[0]?.headers['content-length'], '13')
  t.equal(target.received[0]?.body.toString(), 'bytes\r\n\r\nmore')
  t.equal(target.received[1]?.headers['content-length'], String(Buffer.byteLength('héllo')), 'a string counted in bytes')
  t.equal(target.received[1]?.body.toString(), 'héllo')
})

t.test('POST, PUT and PATCH without a body say content-length: 0; GET says nothing', async (t) => {
  const target = await recordingTarget(t)
  const agent = newAgent(t)
  for (const method of ['POST', 'PUT', 'PATCH', 'GET']) await send(agent, target.origin, { method }).done
  t.same(target.received.map((r) => [r.method, r.headers['content-length'], r.headers['transfer-encoding']]), [
    ['POST', '0', undefined], ['PUT', '0', undefined], ['PATCH', '0', undefined], ['GET', undefined, undefined]
  ])
})

for (const [what, body] of [['shorter', Buffer.alloc(90, 'a')], ['longer', Buffer.alloc(110, 'a')]] as const) {
  t.test(`a Readable ${what} than its content-length fails, and the target never gets a whole request`, async (t) => {
    let answered = 0
    const target = await rawTarget(t, () => { answered++ })
    const agent = newAgent(t)
    const seen = send(agent, target.origin, {
      method: 'POST',
      headers: ['host', 'x', 'content-length', '100'],
      body: Readable.from([body.subarray(0, 50), body.subarray(50)])
    })
    await seen.done
    t.equal(seen.error?.code, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH')
    t.equal(seen.completions, 0)
    await target.closed(1)
    const sent = target.received[0] as Buffer
    const bodyBytes = sent.length - (sent.indexOf('\r\n\r\n') + 4)
    t.ok(bodyBytes <= Math.min(body.length, 100), `nothing padded, nothing past the content-length (${bodyBytes} bytes sent)`)
    t.equal(answered, 1, 'one head arrived (nothing after the body was taken for another request)')
  })
}

for (const [what, body, length] of [['Buffer', Buffer.from('twelve bytes'), '6'], ['string', 'twelve bytes', '6'], ['Buffer', Buffer.from('twelve bytes'), '20']] as const) {
  t.test(`a ${what} body of 12 bytes with content-length ${length} is refused before anything is sent`, async (t) => {
    const target = await recordingTarget(t)
    const agent = newAgent(t)
    // The extra bytes would be read by the target as the start of a second request, the missing ones taken from it.
    const seen = send(agent, target.origin, { method: 'POST', headers: ['host', 'x', 'content-length', length], body })
    await seen.done
    t.equal(seen.error?.code, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH')
    t.equal(seen.completions, 0)
    await sleep(50)
    t.same(target.received, [], 'the target got no request')
  })
}

t.test('a Readable body is not read before the connection is up', async (t) => {
  const port = await deadTcpPort()
  const agent = newAgent(t)
  let reads = 0
  const body = new Readable({ read () { reads++; this.push(null) } })
  const seen = send(agent, `http://127.0.0.1:${port}`, { method: 'POST', body })
  await seen.done
  t.equal(seen.error?.code, 'ECONNREFUSED')
  t.equal(reads, 0, 'the refused connect left the body unread')
})

t.test('a large Readable body is pulled only as fast as the target reads it', async (t) => {
  const CHUNK = 64 * 1024
  const TOTAL = 512 * CHUNK // 32 MiB: well past what loopback socket buffers hold
  let pulled = 0
  const body = new Readable({
    read () {
      if (pulled >= TOTAL) { this.push(null); return }
      this.push(Buffer.alloc(CHUNK, pulled / CHUNK))
      pulled += CHUNK
    }
  })
  let received = 0
  let intact = true
  let reading: () => void = () => {}
  const target = await httpTarget(t, (req, res) => {
    req.pause()
    reading = () => {
      req.on('data', (c: Buffer) => {
        for (let i = 0; i < c.length; i += 4096) if (c[i] !== Math.floor((received + i) / CHUNK) % 256) intact = false
        received += c.length
      })
      req.on('end', () => { res.end(`got ${received}`) })
      req.resume()
    }
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin, { method: 'POST', headers: ['host', 'x', 'content-length', String(TOTAL)], body })
  await sleep(400)
  t.ok(pulled < TOTAL / 2, `while the target does not read, the body is not drained (${pulled} of ${TOTAL} bytes pulled)`)
  reading()
  await seen.done
  t.equal(seen.body.toString(), `got ${TOTAL}`)
  t.ok(intact, 'every byte in place')
})

t.test('a response before the body was all sent completes, and the connection is not reused', async (t) => {
  const target = await httpTarget(t, (req, res) => {
    if (req.url === '/early') {
      res.statusCode = 413
      res.end('too big')
    } else {
      req.resume()
      req.on('end', () => { res.end('ok') })
    }
  })
  const agent = newAgent(t)
  let pulled = 0
  const body = new Readable({
    read () {
      pulled++
      setTimeout(() => { this.push(Buffer.alloc(1024, 'b')) }, 10)
    }
  })
  const early = send(agent, target.origin, { method: 'POST', path: '/early', body })
  await early.done
  t.same(early.events, ['connect', 'headers 413', 'data', 'complete'])
  t.equal(early.body.toString(), 'too big')
  await sleep(100)
  const pulledAfter = pulled
  await sleep(100)
  t.equal(pulled, pulledAfter, 'the body is no longer read')
  await target.closed(1)
  const next = send(agent, target.origin, { method: 'POST', body: 'small' })
  await next.done
  t.equal(next.body.toString(), 'ok')
  t.equal(target.accepted, 2, 'a new connection')
})
