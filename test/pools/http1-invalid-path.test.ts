/**
 * Http1Agent refuses a request path that would break the request line (a
 * space, a control character, CR/LF that would start a header or a second
 * request, a character beyond latin1) with `UND_ERR_INVALID_ARG`, before
 * anything is sent; onConnect is not even called. Paths with every printable
 * character are sent as given.
 */
import t from 'tap'
import { httpTarget, newAgent, send, sleep } from '../helpers/http1.js'

const invalid = [
  '/with space',
  '/tab\there',
  '/split\r\nx-injected: yes',
  '/smuggle HTTP/1.1\r\nhost: x\r\n\r\nGET /other',
  '/nul\u0000',
  '/bell\u0007',
  '/wide\u0100'
]

t.test('invalid paths: UND_ERR_INVALID_ARG, nothing sent', async (t) => {
  const target = await httpTarget(t, (_req, res) => { res.end('ok') })
  const agent = newAgent(t)
  for (const path of invalid) {
    const seen = send(agent, target.origin, { path })
    await seen.done
    t.equal(seen.error?.code, 'UND_ERR_INVALID_ARG', JSON.stringify(path))
    t.same(seen.events, ['error UND_ERR_INVALID_ARG'], 'and nothing else')
  }
  await sleep(50)
  t.equal(target.accepted, 0, 'no connection was made')
})

t.test('a path with every printable character is sent as given', async (t) => {
  const urls: string[] = []
  const target = await httpTarget(t, (req, res) => {
    urls.push(req.url ?? '')
    res.end('ok')
  })
  const agent = newAgent(t)
  const path = "/a-z/A_Z/0.9/~!$&'()*+,;=:@%20?q=1&r=[x]#frag"
  const seen = send(agent, target.origin, { path })
  await seen.done
  t.equal(seen.completions, 1)
  t.same(urls, [path])
})
