/**
 * Http1Agent hands over every response header, in order, when there are
 * more than Node's parser passes in one go (32 pairs: the rest arrive in a
 * second batch), also when the head is split across TCP reads, and on the
 * head of the next response of the same connection.
 */
import t from 'tap'
import { newAgent, rawTarget, send } from '../helpers/http1.js'

const names = Array.from({ length: 75 }, (_, i) => `X-Field-${String(i).padStart(2, '0')}`)
const head = 'HTTP/1.1 200 OK\r\n' + names.map((name, i) => `${name}: value ${i}\r\n`).join('') + 'Content-Length: 4\r\n\r\nbody'
const expected = names.flatMap((name, i) => [name, `value ${i}`]).concat(['Content-Length', '4'])

t.test('75 headers arrive whole and in order', async (t) => {
  const target = await rawTarget(t, (socket) => { socket.write(head) })
  const agent = newAgent(t)
  for (let round = 0; round < 2; round++) {
    const seen = send(agent, target.origin)
    await seen.done
    t.same(seen.events, ['connect', 'headers 200', 'data', 'complete'])
    t.same(seen.heads[0]?.headers, expected, `round ${round}: every name and value, in the target's order`)
    t.equal(seen.body.toString(), 'body')
  }
  t.equal(target.accepted, 1, 'the second response came on the same connection')
})

t.test('the same head written in pieces', async (t) => {
  const target = await rawTarget(t, (socket) => {
    let offset = 0
    const next = (): void => {
      socket.write(head.slice(offset, offset + 200))
      offset += 200
      if (offset < head.length) setTimeout(next, 5)
    }
    next()
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.same(seen.heads[0]?.headers, expected)
  t.equal(seen.body.toString(), 'body')
})

t.test('a 103 with many headers does not leak them into the final head', async (t) => {
  const hints = Array.from({ length: 40 }, (_, i) => `Link: </h${i}.js>; rel=preload\r\n`).join('')
  const target = await rawTarget(t, (socket) => {
    socket.write(`HTTP/1.1 103 Early Hints\r\n${hints}\r\n`)
    setTimeout(() => { socket.write(head) }, 20)
  })
  const agent = newAgent(t)
  const seen = send(agent, target.origin)
  await seen.done
  t.same(seen.events, ['connect', 'headers 103', 'headers 200', 'data', 'complete'])
  t.equal(seen.heads[0]?.headers.length, 80, 'the 40 hints')
  t.same(seen.heads[1]?.headers, expected, 'the final head is its own')
})
