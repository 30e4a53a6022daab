/**
 * Regression (issue 10, item 13): a mistyped variable (`GATEWAY_CACH=memory`)
 * was silently ignored, and `GATEWAY_UPSTREAM=…` (no S) started the demo on
 * 0.0.0.0. Unknown `GATEWAY_*` names now stop the start naming the closest
 * known one, and the demo binds loopback unless HOST says otherwise.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { loadConfig } from '../../config/index.js'
import { KNOWN_VARIABLES } from '../../config/env.js'
import { closestName, editDistance } from '../../lib/edit-distance.js'
import { spawnApp } from '../app/spawn.js'

t.test('edit distance', async (t) => {
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(editDistance('GATEWAY_CACH', 'GATEWAY_CACHE'), 1, 'a letter missing')
  t.equal(editDistance('GATEWAY_CAHCE', 'GATEWAY_CACHE'), 1, 'two letters swapped')
  t.equal(editDistance('', 'abc'), 3)
  t.equal(closestName('GATEWAY_UPSTREAM', KNOWN_VARIABLES), 'GATEWAY_UPSTREAMS')
  t.equal(closestName('GATEWAY_REDIS', KNOWN_VARIABLES), 'GATEWAY_REDIS_URL')
})

t.test('unknown GATEWAY_* variables stop the start with the closest known name', async (t) => {
  const cases: Array<[string, string]> = [
    ['GATEWAY_CACH', 'GATEWAY_CACHE'],
    ['GATEWAY_UPSTREAM', 'GATEWAY_UPSTREAMS'],
    ['GATEWAY_ADMIN_TOKN', 'GATEWAY_ADMIN_TOKEN'],
    ['GATEWAY_RATELIMIT_MAX', 'GATEWAY_RATE_LIMIT_MAX']
  ]
  for (const [typo, meant] of cases) {
    t.throws(() => loadConfig({ [typo]: 'x' }), { name: 'ConfigError', field: typo, message: new RegExp(`^${typo} is not a known variable: did you mean ${meant}\\?`) }, `${typo} → ${meant}`)
  }
  t.doesNotThrow(() => loadConfig({ GATEWAY_UPSTREAMS: 'http://127.0.0.1:3001', OTHER_VARIABLE: 'x', LOG_LEVEL: 'warn' }), 'other variables are not ours to judge')
})

t.test('the process exits 1 naming the typo and the right name', async (t) => {
  const app = spawnApp({ GATEWAY_UPSTREAM: 'http://127.0.0.1:3001', PORT: '0', GATEWAY_ADMIN_PORT: '0' })
  t.teardown(() => { app.child.kill('SIGKILL') })
  t.equal(await app.exited, 1)
  t.match(app.stderr(), /invalid configuration: GATEWAY_UPSTREAM is not a known variable: did you mean GATEWAY_UPSTREAMS\?/)
})

/** Local addresses (hex, as in /proc/net/tcp) listening on `port`. */
function listeningAddresses (port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  const addresses: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try { text = readFileSync(file, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      const [address, localPort] = (fields[1] ?? '').split(':')
      if (localPort === hexPort && fields[3] === '0A') addresses.push(address as string)
    }
  }
  return addresses
}

t.test('the demo binds loopback unless HOST is set', async (t) => {
  const app = spawnApp({ PORT: '0', GATEWAY_ADMIN_PORT: '0' })
  t.teardown(() => { app.child.kill('SIGKILL') })
  const hint = await app.waitForLog(/demo mode/)
  const port = Number(/127\.0\.0\.1:(\d+)\/hello/.exec(String(hint.msg))?.[1])
  t.ok(port > 0, 'the demo names its port')
  t.same(listeningAddresses(port), ['0100007F'], 'listening on 127.0.0.1 only')
  app.child.kill('SIGTERM')
  t.equal(await app.exited, 0)
})

t.test('every known variable is in .env.example and README, and every one there is known', async (t) => {
  const root = new URL('../../', import.meta.url)
  const example = readFileSync(new URL('.env.example', root), 'utf8')
  const readme = readFileSync(new URL('README.md', root), 'utf8')
  const inExample = [...example.matchAll(/^(GATEWAY_[A-Z0-9_]+)=/gm)].map((m) => m[1] as string).sort()
  t.same(inExample, [...KNOWN_VARIABLES].sort(), '.env.example lists exactly the known variables')
  const table = readme.split('\n').filter((line) => line.startsWith('| `'))
  for (const name of KNOWN_VARIABLES) t.ok(table.some((line) => line.includes(`\`${name}\``)), `${name} in README's table`)
})
