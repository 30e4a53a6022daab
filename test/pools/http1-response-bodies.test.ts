/**
 * Http1Agent delivers each way a response body can be framed: by
 * Content-Length, chunked (decoded, across several chunks), delimited by the
 * target closing, none for HEAD (the connection is reused after it), none
 * for 204 and 304.
 */
import t from 'tap'
import { headerValue, httpTarget, newAgent, rawTarget, send } from '../helpers/http1.js'

t.test('a Content-Length body arrives whole, and the connection is reused', async (t) => {
  const payload = Buffer.alloc(100_000, 'abcdefgh')
  const target = await httpTarget(t, (_req, res) => {
    res.setHeader('content-length', payload.length)
    res.end(payload)
  })
  const agent = newAgent(t)
  const first = send(agent, target.origin)
  await first.done
  t.same(first.events, ['connect', 'headers 200', 'data', 'complete'])
  t.equal(headerValue(first.heads[0]?.headers ?? [], 'content-length'), String(payload.length))
  t.ok(first.body.equals(payload), 'every byte, in order')
  const second = send(agent, target.origin)
  await second.done
  t.ok(second.body.equals(payload))
  t.equal(target.accepted, 1)
})

t.test('a chunked body is decoded across several chunks', async (t) => {
  const parts = ['first part;', 'x'.repeat(5000), 'third\r\n', 'last']
  const target = await rawTarget(t, (socket) => {
    // Chunks written apart, with a chunk extension and a trailer, the way a streaming target sends them.
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')
    let i = 0
    const next = (): void => {
      const part = parts[i++]
      if (part === undefined) {
        socket.write('0\r\nx-trailer: yes\r\n\r\n')
        return
      }
      socket.write(`${Buffer.byteLength(part).toString(16)}${i === 2 ? ';ext=1' : ''}\r\n${part}\r\n`)
      setTimeout(next, 20)
    }
    next()
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.same(seen.events, ['connect', 'headers 200', 'data', 'complete'])
  t.equal(seen.body.toString(), parts.join(''), 'the decoded bytes, no chunk framing')
  const again = send(agent, target.origin)
  await again.done
  t.equal(again.body.toString(), parts.join(''))
  t.equal(target.accepted, 1, 'the connection is reused after a chunked body')
})

t.test('a body without a length ends when the target closes', async (t) => {
  const target = await rawTarget(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ')
    setTimeout(() => { socket.end('the close') }, 50)
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.same(seen.events, ['connect', 'headers 200', 'data', 'complete'])
  t.equal(seen.error, undefined)
  t.equal(seen.body.toString(), 'until the close')
  const again = send(agent, target.origin)
  await again.done
  t.equal(again.completions, 1)
  t.equal(target.accepted, 2, 'a new connection for the next request')
})

t.test('HEAD: the length is given, no body is read, the connection is reused', async (t) => {
  const methods: string[] = []
  const target = await rawTarget(t, (socket, head) => {
    const method = head.slice(0, head.indexOf(' '))
    methods.push(method)
    // A HEAD answer says how long the body would be, and sends none.
    if (method === 'HEAD') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n')
    else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nget')
  })
  const agent = newAgent(t)
  const head = send(agent, target.origin, { method: 'HEAD' })
  await head.done
  t.same(head.events, ['connect', 'headers 200', 'complete'], 'no onData')
  t.equal(headerValue(head.heads[0]?.headers ?? [], 'content-length'), '1234')
  t.equal(head.body.length, 0)
  const get = send(agent, target.origin)
  await get.done
  t.equal(get.body.toString(), 'get', 'the next response is read from the right place')
  t.same(methods, ['HEAD', 'GET'])
  t.equal(target.accepted, 1, 'on the same connection')
})

t.test('204 and 304 have no body, and the connection is reused', async (t) => {
  const target = await httpTarget(t, (req, res) => {
    if (req.url === '/204') {
      res.statusCode = 204
      res.end()
    } else if (req.url === '/304') {
      res.statusCode = 304
      res.setHeader('etag', '"v1"')
      res.end()
    } else {
      res.end('after')
    }
  })
  const agent = newAgent(t)
  for (const status of [204, 304]) {
    const seen = send(agent, target.origin, { path: `/${status}` })
    await seen.done
    t.same(seen.events, ['connect', `headers ${status}`, 'complete'], `${status}: no body`)
  }
  const after = send(agent, target.origin, { path: '/after' })
  await after.done
  t.equal(after.body.toString(), 'after')
  t.equal(target.accepted, 1)
})

t.test('a 204 that states a Content-Length still ends at its head', async (t) => {
  let requests = 0
  const target = await rawTarget(t, (socket) => {
    if (requests++ === 0) socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n')
    else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext')
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.same(seen.events, ['connect', 'headers 204', 'complete'], 'no body awaited')
  const next = send(agent, target.origin)
  await next.done
  t.same(next.events, ['connect', 'headers 200', 'data', 'complete'])
  t.equal(next.body.toString(), 'next', 'the next response is read whole, from its own head')
})
