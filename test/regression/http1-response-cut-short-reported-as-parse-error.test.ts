/**
 * Regression: a target that closed its connection in the middle of a
 * response head or body made Http1Agent report llhttp's
 * `HPE_INVALID_EOF_STATE` instead of undici's `UND_ERR_SOCKET`. The
 * forwarder sorts failures by code: an idempotent request cut off before
 * any response byte is replayed on `UND_ERR_SOCKET`, and was not; a cut body
 * was logged as a malformed response.
 */
import t from 'tap'
import { newAgent, rawTarget, send } from '../helpers/http1.js'

for (const [where, bytes] of [['head', 'HTTP/1.1 200 OK\r\nContent-Len'], ['body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf']] as const) {
  t.test(`closed in the middle of the ${where}: UND_ERR_SOCKET`, async (t) => {
    const target = await rawTarget(t, (socket) => {
      socket.write(bytes, () => { setTimeout(() => { socket.end() }, 30) })
    })
    const agent = newAgent(t)
    const seen = send(agent, target.origin)
    await seen.done
    t.equal(seen.error?.code, 'UND_ERR_SOCKET')
    t.equal(seen.completions, 0)
  })
}
