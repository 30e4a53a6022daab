/**
 * A client that stops reading holds its upstream back: the gateway keeps at
 * most its response buffer (RESPONSE_BUFFER_BYTES) beyond what the sockets
 * hold, then pauses the upstream, so a backend streaming a huge body to a
 * stalled client gets backpressure instead of the gateway buffering it all.
 * When the client reads again, the whole body arrives, byte-exact in length.
 */
import t from 'tap'
import { request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { startBackend } from '../helpers/backend.js'
import { startPluginGateway } from '../helpers/gateway.js'

const TOTAL = 256 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'z')

t.test('a stalled client pauses the upstream; reading again gets the whole body', async (t) => {
  let written = 0
  const backend = await startBackend('b', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL })
    const pump = (): void => {
      while (written < TOTAL) {
        written += CHUNK.length
        if (!res.write(CHUNK)) { res.once('drain', pump); return }
      }
      res.end()
    }
    pump()
  })
  const gw = await startPluginGateway({ pools: { p: { targets: [backend.url] } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await backend.stop() })

  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(`${gw.url}/huge`, resolve)
    req.on('error', reject)
    req.end()
  })
  t.equal(response.statusCode, 200)
  response.pause()
  // The client reads nothing for 1.5 s: what the backend could write is what the sockets and the gateway hold.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const writtenWhileStalled = written
  t.ok(writtenWhileStalled < TOTAL / 4, `the backend was held back: ${(writtenWhileStalled / 1048576).toFixed(1)} MiB of 256 written while the client read nothing`)
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.ok(written - writtenWhileStalled < 4 * 1024 * 1024, 'and stays held back (under 4 MiB more in the next 0.5 s)')

  let received = 0
  response.on('data', (chunk: Buffer) => { received += chunk.length })
  response.resume()
  await new Promise((resolve) => response.once('end', resolve))
  t.equal(received, TOTAL, 'reading again, the whole 256 MiB arrives')
})
