/**
 * For the `Pump` unit tests (test/l4/pump-*.test.ts): a real loopback pair
 * `from` → pump → `to`, where the test drives the far end of each socket.
 * `source` is the server side that writes into `from`; `sink` the server side
 * that `to` writes into.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { Pump, createPumpBuffers, SOCKET_OPTIONS, type PumpBuffers } from '../../plugins/l4/pump.js'

export interface PumpPair {
  pump: Pump
  buffers: PumpBuffers
  from: Socket
  to: Socket
  source: Socket
  sink: Socket
  close: () => Promise<void>
}

async function listenOnce (): Promise<{ server: Server, port: number, accepted: Promise<Socket> }> {
  const server = createServer({ allowHalfOpen: true })
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port, accepted }
}

/** A pump whose `from` reads what `source` writes; `start` is left to the test. */
export async function startPumpPair (buffers: PumpBuffers = createPumpBuffers()): Promise<PumpPair> {
  const sourceEnd = await listenOnce()
  const sinkEnd = await listenOnce()
  const pump = new Pump(buffers)
  const from = connect({ port: sourceEnd.port, host: '127.0.0.1', onread: pump.onread, ...SOCKET_OPTIONS })
  pump.attach(from)
  const to = connect({ port: sinkEnd.port, host: '127.0.0.1', ...SOCKET_OPTIONS })
  const [source, sink] = await Promise.all([sourceEnd.accepted, sinkEnd.accepted])
  await Promise.all([new Promise((resolve) => from.once('connect', resolve)), new Promise((resolve) => to.once('connect', resolve))])
  for (const socket of [from, to, source, sink]) socket.on('error', () => {})
  return {
    pump,
    buffers,
    from,
    to,
    source,
    sink,
    close: async () => {
      for (const socket of [from, to, source, sink]) socket.destroy()
      await Promise.all([sourceEnd.server, sinkEnd.server].map(async (server) => { await new Promise((resolve) => server.close(resolve)) }))
    }
  }
}

/** Resolve once `check()` holds, polling every 5 ms for up to `timeoutMs`. */
export async function until (check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return true
}
