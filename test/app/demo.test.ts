/**
 * `npm start` with nothing configured starts the demo: sample backends on
 * loopback behind the gateway, balanced, and tells how to try it.
 */
import t from 'tap'
import { spawnApp } from './spawn.js'

t.test('the demo answers and balances over its sample backends', async (t) => {
  const app = spawnApp({ PORT: '0', HOST: '127.0.0.1', GATEWAY_ADMIN_PORT: '0' })
  t.teardown(() => { app.child.kill('SIGKILL') })
  const hint = await app.waitForLog(/demo mode/)
  const port = /127\.0\.0\.1:(\d+)\/hello/.exec(String(hint.msg))?.[1]
  t.ok(port, 'the demo log names a URL to curl')
  t.match(String(hint.msg), /curl/, 'with curl lines')
  const seen = new Set<string>()
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`http://127.0.0.1:${String(port)}/hello`)
    t.equal(res.status, 200)
    seen.add(((await res.json()) as { backend: string }).backend)
  }
  t.equal(seen.size, 3, 'six requests reached the three sample backends')
  app.child.kill('SIGTERM')
  t.equal(await app.exited, 0, 'SIGTERM stops it cleanly')
})
