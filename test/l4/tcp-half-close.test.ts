/**
 * TCP listener half-close: the client's `end()` reaches the backend as an
 * end of stream, and the backend can still send afterwards (and the
 * reverse: the backend's end reaches the client while it keeps sending).
 */
import t from 'tap'
import { connect } from 'node:net'
import { startL4Gateway, startTcpBackend } from '../helpers/l4.js'

t.test('client end is passed on; the other direction keeps flowing', async (t) => {
  // Reads the whole request until end, then answers with its length, then more, then ends.
  const backend = await startTcpBackend('counter', (socket) => {
    let bytes = 0
    socket.on('data', (chunk: Buffer) => { bytes += chunk.length })
    socket.on('end', () => {
      socket.write(`got ${bytes} after end;`)
      setTimeout(() => { socket.end('still talking') }, 100)
    })
  })
  const gw = await startL4Gateway({ pools: { p: { targets: [backend.url] } }, tcp: [{ port: 0, pool: 'p' }] })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect({ port: gw.tcpPort(), host: '127.0.0.1', allowHalfOpen: true })
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { text += chunk })
    socket.on('error', reject)
    socket.on('end', () => { resolve(text) })
    socket.on('connect', () => { socket.write('hello'); socket.end(' world') })
  })
  t.equal(reply, 'got 11 after end;still talking')
})

t.test('backend end is passed on; the client keeps sending', async (t) => {
  let afterEnd = ''
  const backend = await startTcpBackend('early', (socket) => {
    socket.end('bye first;')
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { afterEnd += chunk })
  })
  const gw = await startL4Gateway({ pools: { p: { targets: [backend.url] } }, tcp: [{ port: 0, pool: 'p' }] })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const got = await new Promise<string>((resolve, reject) => {
    const socket = connect({ port: gw.tcpPort(), host: '127.0.0.1', allowHalfOpen: true })
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { text += chunk })
    socket.on('error', reject)
    socket.on('end', () => {
      // The backend has ended its side; ours is still open.
      socket.end('late words', () => { resolve(text) })
    })
  })
  t.equal(got, 'bye first;')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(afterEnd, 'late words', 'the backend still received after its own end')
})
