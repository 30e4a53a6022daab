/**
 * Http1Agent reports a target that fails with the codes undici gives: the
 * target closing before the response ended is `UND_ERR_SOCKET` (before the
 * head, mid-head, mid-body, mid-chunk), a port nobody listens on is
 * `ECONNREFUSED`; never onComplete, and the next request is answered.
 */
import t from 'tap'
import { newAgent, rawTarget, send } from '../helpers/http1.js'
import { deadTcpPort } from '../helpers/l4.js'

const cutShort: Array<{ name: string, bytes: string }> = [
  { name: 'before any response byte', bytes: '' },
  { name: 'in the middle of the head', bytes: 'HTTP/1.1 200 OK\r\nContent-Len' },
  { name: 'in the middle of a Content-Length body', bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf' },
  { name: 'in the middle of a chunked body', bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhalf\r\n' }
]

for (const { name, bytes } of cutShort) {
  t.test(`the target closes ${name}`, async (t) => {
    let requests = 0
    const target = await rawTarget(t, (socket) => {
      if (requests++ > 0) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood')
        return
      }
      if (bytes === '') socket.end()
      else socket.write(bytes, () => { setTimeout(() => { socket.end() }, 30) })
    })
    const agent = newAgent(t)
    const seen = send(agent, target.origin)
    await seen.done
    t.equal(seen.error?.code, 'UND_ERR_SOCKET')
    t.equal(seen.completions, 0, 'never onComplete')
    if (bytes.includes('half')) t.equal(seen.body.toString(), 'half', 'what came before the close was delivered')
    const next = send(agent, target.origin)
    await next.done
    t.equal(next.body.toString(), 'good', 'the next request is answered, on a new connection')
    t.equal(target.accepted, 2)
  })
}

t.test('the target resets the connection mid-body', async (t) => {
  const target = await rawTarget(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf', () => { setTimeout(() => { socket.resetAndDestroy() }, 30) })
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.match(seen.error?.code, /^(ECONNRESET|UND_ERR_SOCKET)$/, `a reset code (${seen.error?.code ?? 'none'})`)
  t.equal(seen.completions, 0)
})

t.test('a refused connection is ECONNREFUSED', async (t) => {
  const port = await deadTcpPort()
  const agent = newAgent(t)
  const seen = send(agent, `http://127.0.0.1:${port}`)
  await seen.done
  t.equal(seen.error?.code, 'ECONNREFUSED')
  t.same(seen.events, ['connect', 'error ECONNREFUSED'], 'nothing but the error')
})

t.test('requests queued behind a refused connection each hear the refusal', async (t) => {
  const port = await deadTcpPort()
  const agent = newAgent(t, { connections: 1 })
  const requests = Array.from({ length: 3 }, () => send(agent, `http://127.0.0.1:${port}`))
  await Promise.all(requests.map(async (r) => { await r.done }))
  t.same(requests.map((r) => r.error?.code), ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED'])
})

t.test('a protocol switch nobody asked for is UND_ERR_SOCKET, and the connection is dropped', async (t) => {
  let requests = 0
  const target = await rawTarget(t, (socket) => {
    if (requests++ === 0) socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nframes')
    else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood')
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.equal(seen.error?.code, 'UND_ERR_SOCKET')
  t.same(seen.events, ['connect', 'error UND_ERR_SOCKET'], 'the 101 head is not handed on')
  await target.closed(1)
  const next = send(agent, target.origin)
  await next.done
  t.equal(next.body.toString(), 'good')
})
