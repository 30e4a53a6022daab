/**
 * Regression: Http1Agent wrote a Buffer or string body as it was even when
 * the request's `content-length` header said it was shorter: the target
 * read the extra bytes as a second request on the same connection (request
 * smuggling), or, with a body shorter than said, took the next request's
 * bytes as the rest of this body. Now such a request fails with undici's
 * `UND_ERR_REQ_CONTENT_LENGTH_MISMATCH` and nothing is sent.
 */
import t from 'tap'
import { httpTarget, newAgent, send, sleep } from '../helpers/http1.js'

t.test('bytes past the content-length never reach the target as a request', async (t) => {
  const paths: string[] = []
  const target = await httpTarget(t, (req, res) => {
    paths.push(req.url ?? '')
    req.resume()
    req.on('end', () => { res.end('ok') })
  })
  const agent = newAgent(t)
  const body = Buffer.from('hello!GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n')
  const seen = send(agent, target.origin, { method: 'POST', path: '/upload', headers: ['host', 'x', 'content-length', '6'], body })
  await seen.done
  t.equal(seen.error?.code, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH')
  await sleep(100)
  t.notOk(paths.includes('/smuggled'), `the target saw ${JSON.stringify(paths)}`)
})
