/**
 * Regression: a dispatch handler that threw from `onHeaders`, `onData` or
 * `onComplete` threw through the native parser's callback, an uncaught
 * exception that ends the gateway (undici turns it into the request's
 * error). Now the request fails with what was thrown, the connection is not
 * reused, and the next request still gets its response.
 */
import t from 'tap'
import { httpTarget, newAgent, recordingHandler, send } from '../helpers/http1.js'

for (const stage of ['onHeaders', 'onData', 'onComplete'] as const) {
  t.test(`a handler throwing in ${stage}: that request fails, the process and the next request are fine`, async (t) => {
    const target = await httpTarget(t, (_req, res) => { res.end('hello') })
    const agent = newAgent(t)
    const thrown = new Error(`thrown in ${stage}`)
    const { handler, recorded } = recordingHandler({
      onHeaders: () => { if (stage === 'onHeaders') throw thrown; return true },
      onData: () => { if (stage === 'onData') throw thrown; return true }
    })
    if (stage === 'onComplete') {
      const complete = handler.onComplete?.bind(handler)
      handler.onComplete = (trailers) => { complete?.(trailers); throw thrown }
    }
    agent.dispatch({ origin: target.origin, path: '/', method: 'GET', headers: ['host', 'target.test'] }, handler)
    await recorded.done
    if (stage === 'onComplete') t.equal(recorded.completions, 1, 'the response was complete')
    else t.equal(recorded.completions, 0, 'no completion')
    // recorded.done settles on the first of onComplete/onError; the error comes right after a throwing onComplete.
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(recorded.error, thrown, 'the handler heard what it threw')
    const next = send(agent, target.origin)
    await next.done
    t.equal(next.heads.at(-1)?.status, 200, 'the next request is answered')
    t.equal(next.body.toString(), 'hello')
    t.equal(target.accepted, 2, 'the connection of the failed request was not reused')
  })
}
