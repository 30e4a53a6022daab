/**
 * Http1Agent gives up a connect that the target never answers after
 * `connectTimeoutMs`, with undici's `UND_ERR_CONNECT_TIMEOUT` (the code the
 * forwarder answers with 504 and retries on another target); the connection's
 * place under the cap is freed, so a request queued behind it gets a connect
 * of its own. Through the gateway: a pool whose one target hangs on connect
 * answers 504 about `connectTimeoutMs` later; with a second, live target every
 * request is answered by it.
 */
import t from 'tap'
import { newAgent, send, unansweredPort } from '../helpers/http1.js'
import { startBackend } from '../helpers/backend.js'
import { startPluginGateway } from '../helpers/gateway.js'

t.test('a connect nobody answers fails with UND_ERR_CONNECT_TIMEOUT after connectTimeoutMs', async (t) => {
  const port = await unansweredPort(t)
  const agent = newAgent(t, { connectTimeoutMs: 300, connections: 1 })
  const started = performance.now()
  const first = send(agent, `http://127.0.0.1:${port}`)
  const queued = send(agent, `http://127.0.0.1:${port}`)
  await first.done
  const firstAfter = performance.now() - started
  t.equal(first.error?.code, 'UND_ERR_CONNECT_TIMEOUT')
  t.equal(first.completions, 0, 'never onComplete')
  t.same(first.heads, [], 'no response head')
  t.ok(firstAfter >= 295 && firstAfter < 1500, `after the timeout, not before (${firstAfter.toFixed(0)} ms)`)
  await queued.done
  const queuedAfter = performance.now() - started
  t.equal(queued.error?.code, 'UND_ERR_CONNECT_TIMEOUT', 'the queued request got a connect of its own, which timed out too')
  t.ok(queuedAfter >= firstAfter + 250, `its own timeout ran from when it got the place (${queuedAfter.toFixed(0)} ms)`)
})

t.test('through the gateway: 504 after connectTimeoutMs; with a live second target, every request answered', async (t) => {
  const port = await unansweredPort(t)
  const live = await startBackend('live')
  t.teardown(async () => { await live.stop() })
  const hungOnly = await startPluginGateway({ pools: { p: { targets: [`http://127.0.0.1:${port}`], connectTimeoutMs: 300, retries: 0 } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await hungOnly.close() })
  const started = performance.now()
  const res = await fetch(`${hungOnly.url}/x`)
  const elapsed = performance.now() - started
  t.equal(res.status, 504)
  const body = await res.text()
  t.match(body, /SWITCHYARD_GATEWAY_TIMEOUT/)
  t.notMatch(body, new RegExp(String(port)), 'the target is not named')
  t.ok(elapsed >= 295 && elapsed < 1500, `504 after the connect timeout (${elapsed.toFixed(0)} ms)`)

  const both = await startPluginGateway({ pools: { p: { targets: [`http://127.0.0.1:${port}`, live.url], connectTimeoutMs: 300, balancer: 'round-robin' } } }, [{ path: '/', pool: 'p' }])
  t.teardown(async () => { await both.close() })
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await fetch(`${both.url}/y`)).status)
  t.same(statuses, [200, 200, 200, 200], 'the hung target\'s turns are retried on the live one')
})
