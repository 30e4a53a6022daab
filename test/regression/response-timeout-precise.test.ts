/**
 * Regression: `responseTimeoutMs: 1000` gave its 504 after ~1.5 s (undici's
 * coarse timers). The gateway keeps its own deadlines now: the 504 comes
 * within 50 ms of the timeout, and an idle body is cut as precisely.
 * (Each case is tried three times and the least late attempt counts, so a
 * loaded CI machine's scheduling hiccup doesn't decide the result.)
 */
import t from 'tap'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startBackend } from '../helpers/backend.js'
import { startPluginGateway } from '../helpers/gateway.js'

t.test('a 504 arrives within 50 ms of responseTimeoutMs', async (t) => {
  const hung = await startBackend('hung', (req) => { req.resume() })
  const gw = await startPluginGateway({ pools: { p: { targets: [hung.url], responseTimeoutMs: 1000, retries: 0 } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await hung.stop() })
  const lateness: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    const res = await fetch(`${gw.url}/slow`)
    const elapsed = performance.now() - started
    t.equal(res.status, 504, `attempt ${i + 1}: 504`)
    t.equal(((await res.json()) as { code: string }).code, 'SWITCHYARD_GATEWAY_TIMEOUT')
    t.ok(elapsed >= 995, `attempt ${i + 1}: not before the timeout (${elapsed.toFixed(0)} ms)`)
    lateness.push(elapsed - 1000)
  }
  t.ok(Math.min(...lateness) <= 50, `504 within 50 ms of 1000 ms (late by ${lateness.map((l) => l.toFixed(0)).join(', ')} ms)`)
})

t.test('a body silent for idleTimeoutMs is cut within 50 ms', async (t) => {
  const stalling = await startBackend('stall', (req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first bytes')
    // …and nothing more.
  })
  const gw = await startPluginGateway({ pools: { p: { targets: [stalling.url], idleTimeoutMs: 500, retries: 0 } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await gw.close(); await stalling.stop() })
  const port = (gw.app.server.address() as AddressInfo).port
  const lateness: number[] = []
  for (let i = 0; i < 3; i++) {
    const cut = await new Promise<{ status: number, sinceFirstByte: number, body: string }>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/stream' }, (res) => {
        let body = ''
        let firstAt = 0
        res.on('data', (chunk: Buffer) => { if (firstAt === 0) firstAt = performance.now(); body += chunk.toString() })
        res.on('error', () => {})
        res.on('close', () => { resolve({ status: res.statusCode ?? 0, sinceFirstByte: performance.now() - firstAt, body }) })
      })
      req.on('error', reject)
      req.end()
    })
    t.equal(cut.status, 200, `attempt ${i + 1}: the head had been sent`)
    t.equal(cut.body, 'first bytes', 'the bytes before the silence arrived')
    t.ok(cut.sinceFirstByte >= 480, `attempt ${i + 1}: not cut before the idle timeout (${cut.sinceFirstByte.toFixed(0)} ms)`)
    lateness.push(cut.sinceFirstByte - 500)
  }
  t.ok(Math.min(...lateness) <= 50, `cut within 50 ms of 500 ms of silence (late by ${lateness.map((l) => l.toFixed(0)).join(', ')} ms)`)
})
