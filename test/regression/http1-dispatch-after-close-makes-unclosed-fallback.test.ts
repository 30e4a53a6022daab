/**
 * Regression: after Http1Agent.close(), a dispatch it would hand to its
 * fallback (an `https://` origin, an upgrade) made the fallback undici Agent
 * then, if none existed yet, and gave it the request: a dispatcher made
 * after the close, which nothing would ever close, carrying a request the
 * closed agent should have refused. It now hears `UND_ERR_CLOSED`, as undici's
 * own Agent answers after close.
 */
import t from 'tap'
import type { Dispatcher } from 'undici'
import { newAgent, recordingHandler, settlesWithin } from '../helpers/http1.js'

t.test('an https dispatch after close() is refused without making a fallback', async (t) => {
  let made = 0
  const agent = newAgent(t, {}, () => {
    made++
    return { dispatch: () => true, close: async () => {}, destroy: async () => {} } as unknown as Dispatcher
  })
  await agent.close()
  const { handler, recorded } = recordingHandler()
  agent.dispatch({ origin: 'https://127.0.0.1:1', path: '/', method: 'GET', headers: [] }, handler)
  t.ok(await settlesWithin(recorded.done, 1000), 'the caller hears back')
  t.equal(recorded.error?.code, 'UND_ERR_CLOSED')
  t.equal(made, 0, 'no fallback was made after the close')
})
