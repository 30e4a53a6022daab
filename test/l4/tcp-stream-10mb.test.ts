/**
 * TCP listener: a 10 MB stream goes through byte-exact both ways (sha256 of
 * what the echo backend received and of what the client got back).
 */
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { startL4Gateway, startTcpBackend } from '../helpers/l4.js'

t.test('10 MB echoed through the listener byte-exact both ways', async (t) => {
  const received = createHash('sha256')
  let receivedBytes = 0
  const backend = await startTcpBackend('echo', (socket) => {
    socket.on('data', (chunk: Buffer) => { received.update(chunk); receivedBytes += chunk.length })
    socket.pipe(socket)
  })
  const gw = await startL4Gateway({ pools: { echo: { targets: [backend.url] } }, tcp: [{ port: 0, pool: 'echo' }] })
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const payload = randomBytes(10 * 1024 * 1024)
  const sent = createHash('sha256').update(payload).digest('hex')
  const echoed = createHash('sha256')
  let echoedBytes = 0
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ port: gw.tcpPort(), host: '127.0.0.1', allowHalfOpen: true })
    socket.on('data', (chunk: Buffer) => { echoed.update(chunk); echoedBytes += chunk.length })
    socket.on('error', reject)
    socket.on('close', () => { resolve() })
    // Written in 64 KiB pieces with backpressure, then half-closed.
    let offset = 0
    const writeMore = (): void => {
      while (offset < payload.length) {
        const piece = payload.subarray(offset, offset + 65536)
        offset += piece.length
        if (!socket.write(piece)) { socket.once('drain', writeMore); return }
      }
      socket.end()
    }
    socket.on('connect', writeMore)
  })
  t.equal(receivedBytes, payload.length, 'the backend received every byte')
  t.equal(received.digest('hex'), sent, 'the backend received the same bytes')
  t.equal(echoedBytes, payload.length, 'the client got every byte back')
  t.equal(echoed.digest('hex'), sent, 'the client got the same bytes back')
  const [listener] = gw.status()
  t.equal(listener?.bytesIn, payload.length, 'bytes in counted')
  t.equal(listener?.bytesOut, payload.length, 'bytes out counted')
})
