/**
 * Regression (issue 10, item 17, refused upstream): one refused upstream
 * connection made three log lines, two with stack traces. Now it makes one
 * line at `warn`, without a stack (plus the access line at `info`).
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { writeConfigFile } from '../helpers/gateway.js'
import { buildGateway } from '../../app.js'
import { loadConfig } from '../../config/index.js'
import type { AddressInfo } from 'node:net'

interface LogLine { level: number, msg: string, [field: string]: unknown }

t.test('a refused upstream: one warn line, no stack', async (t) => {
  const dead = await startBackend('dead')
  await dead.stop()
  const live = await startBackend('live')
  const config = writeConfigFile({
    pools: { alone: { targets: [dead.url] }, pair: { targets: [dead.url, live.url] } },
    routes: [{ path: '/alone', pool: 'alone' }, { path: '/pair', pool: 'pair' }]
  })
  const lines: LogLine[] = []
  const logStream = { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } }
  const app = await buildGateway(loadConfig({ GATEWAY_CONFIG: config, GATEWAY_ADMIN_PORT: '0', LOG_LEVEL: 'info' }), { logStream })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); await live.stop() })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const requestLines = (): LogLine[] => lines.filter((line) => !/listening/.test(line.msg))

  lines.length = 0
  const alone = await fetch(`${url}/alone/x`)
  await alone.text()
  t.equal(alone.status, 502, 'the only target refused: 502')
  const warned = requestLines().filter((line) => line.level >= 40)
  t.equal(warned.length, 1, `exactly one line at warn or above (${JSON.stringify(warned)})`)
  t.equal(warned[0]?.level, 40, 'at warn')
  t.equal(warned[0]?.code, 'ECONNREFUSED', 'naming the failure')
  t.notMatch(JSON.stringify(requestLines()), /"stack"|\\n\s+at /, 'no stack trace in any line')
  t.equal(requestLines().filter((line) => line.msg === 'access').length, 1, 'and the access line')

  // Refused, then retried on the other target: still one warn line.
  const pair = gatewayPool(app, 'pair')
  lines.length = 0
  let answered = false
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${url}/pair/x`)
    await res.text()
    answered ||= res.status === 200
  }
  t.ok(answered, 'the pair answers from the live target')
  t.equal(pair.targets[0]?.failures, 1, 'the dead target of the pair was tried once')
  const retried = requestLines().filter((line) => line.level >= 40)
  t.equal(retried.length, 1, `one refusal, one warn line (${JSON.stringify(retried)})`)
  t.notMatch(JSON.stringify(requestLines()), /"stack"/, 'no stack')
})

function gatewayPool (app: Awaited<ReturnType<typeof buildGateway>>, name: string): { targets: ReadonlyArray<{ failures: number }> } {
  const pool = app.switchyard.pools.get(name)
  if (pool === undefined) throw new Error(`no pool ${name}`)
  return pool
}
