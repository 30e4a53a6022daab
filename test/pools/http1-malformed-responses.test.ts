/**
 * Http1Agent refuses responses no correct target writes: a bad status line,
 * both Content-Length and Transfer-Encoding, two different Content-Lengths,
 * a bad chunk size. The caller hears onError with the parser's `HPE_` code
 * and never onComplete, and the connection is not used again.
 */
import t from 'tap'
import { newAgent, rawTarget, send, sleep } from '../helpers/http1.js'

const cases: Array<{ name: string, response: string }> = [
  { name: 'a status line that is not HTTP', response: 'HTTX/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' },
  { name: 'a status code that is not a number', response: 'HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok' },
  { name: 'both Content-Length and Transfer-Encoding', response: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' },
  { name: 'two different Content-Lengths', response: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!' },
  { name: 'a chunk size that is not hex', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' },
  { name: 'a bad chunk size after a good chunk', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n-1\r\n\r\n' },
  { name: 'a header line without a colon', response: 'HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 2\r\n\r\nok' }
]

for (const { name, response } of cases) {
  t.test(name, async (t) => {
    let requests = 0
    const target = await rawTarget(t, (socket) => {
      // The first request gets the malformed response; later ones a good one (on whatever connection).
      socket.write(requests++ === 0 ? response : 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood')
    })
    const agent = newAgent(t)
    const seen = send(agent, target.origin)
    await seen.done
    t.equal(seen.completions, 0, 'never onComplete')
    t.match(seen.error?.code, /^HPE_/, `onError with a parser code (${seen.error?.code ?? 'none'})`)
    await target.closed(1)
    t.pass('the connection was closed')
    await sleep(20)
    t.equal(seen.events.filter((e) => e.startsWith('error')).length, 1, 'one onError, nothing after it')
    t.equal(seen.completions, 0)
    const next = send(agent, target.origin)
    await next.done
    t.equal(next.body.toString(), 'good', 'the next request is answered')
    t.equal(target.accepted, 2, 'on a new connection')
  })
}

t.test('the exact codes of the framing errors', async (t) => {
  // llhttp's names for these faults (the CL + TE one differs between llhttp versions).
  const expected: Record<string, RegExp> = {
    'both Content-Length and Transfer-Encoding': /^HPE_(INVALID_TRANSFER_ENCODING|UNEXPECTED_CONTENT_LENGTH)$/,
    'two different Content-Lengths': /^HPE_UNEXPECTED_CONTENT_LENGTH$/,
    'a chunk size that is not hex': /^HPE_INVALID_CHUNK_SIZE$/
  }
  for (const { name, response } of cases) {
    const code = expected[name]
    if (code === undefined) continue
    const target = await rawTarget(t, (socket) => { socket.write(response) })
    const agent = newAgent(t)
    const seen = send(agent, target.origin)
    await seen.done
    t.match(seen.error?.code, code, name)
  }
})
