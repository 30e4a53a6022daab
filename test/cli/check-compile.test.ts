/**
 * `switchyard check` runs the route table's compile (and the rest of the
 * gateway's build) as the start does, so errors only that step finds are
 * reported like the others: exit 1 and one line naming the field. Here a
 * route path written as a pattern (`/api/*`: the schema and checkConfig take
 * it, compile refuses it) and an L4 listener's allow list entry that is no
 * address (only the listener's build reads it). And check starts nothing: no
 * listener is ever created, no timer or socket is left.
 */
import t from 'tap'
import { createHook } from 'node:async_hooks'
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import { writeConfigFile } from '../helpers/config-file.js'
import { runCli } from '../helpers/cli.js'
import { deadTcpPort } from '../helpers/l4.js'
import { readConfigFile } from '../../config/file.js'
import { checkConfig } from '../../config/check.js'
import { checkGatewayConfig } from '../../config/check-gateway.js'

const pools = {
  api: { targets: ['http://127.0.0.1:3001'], health: { path: '/health', intervalMs: 100 }, sticky: { cookie: 'sy_api' } },
  db: { targets: ['tcp://127.0.0.1:5432'], health: { type: 'tcp', intervalMs: 100 } },
  dns: { targets: ['udp://127.0.0.1:5353'] }
}

t.test('errors only the compile finds: exit 1, one line naming the field', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['a route path written as a pattern', { pools, routes: [{ path: '/', pool: 'api' }, { path: '/api/*', pool: 'api' }] },
      /^switchyard: invalid configuration: GATEWAY_CONFIG\.routes\.1\.path is a path prefix, not a pattern: write "\/api" to match it and everything under it/],
    ['an L4 allow entry that is no address', { pools, routes: [], tcp: [{ port: 15432, pool: 'db', allow: ['10.0.0.0/8', 'office'] }] },
      /^switchyard: invalid configuration: GATEWAY_CONFIG\.tcp\.0\.allow\.1 must be an IP address or CIDR range/]
  ]
  for (const [what, content, message] of cases) {
    const path = writeConfigFile(content)
    t.doesNotThrow(() => checkConfig(readConfigFile(path)), `${what}: the schema and checkConfig alone let it through`)
    const result = await runCli(['check', '--config', path])
    t.equal(result.code, 1, `${what}: exit 1`)
    t.equal(result.stdout, '', `${what}: no ok line`)
    t.match(result.stderr, message, `${what}: names the field`)
    t.equal(result.stderr.trim().split('\n').length, 1, `${what}: one line`)
  }
})

t.test('a valid config with routes and L4 listeners: ok, and nothing was started or left', async (t) => {
  const tcpPort = await deadTcpPort()
  const udpPort = await deadTcpPort()
  const content = {
    pools,
    routes: [{ path: '/api', pool: 'api', rateLimit: { max: 10 }, cache: true }],
    tcp: [{ port: tcpPort, host: '127.0.0.1', pool: 'db', allow: ['127.0.0.1'] }],
    udp: [{ port: udpPort, host: '127.0.0.1', pool: 'dns' }]
  }
  const path = writeConfigFile(content)
  const cli = await runCli(['check', '--config', path])
  t.equal(cli.code, 0, cli.stderr)
  t.match(cli.stdout, /is ok \(3 pools, 1 route, 2 L4 listeners\)\n$/)

  // In process: which handles did the check create, and which are still there?
  const created = new Map<number, string>()
  const hook = createHook({
    init (id, type) { if (['TCPSERVERWRAP', 'TCPWRAP', 'UDPWRAP', 'Timeout'].includes(type)) created.set(id, type) },
    destroy (id) { created.delete(id) }
  }).enable()
  const resourcesBefore = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length
  const summary = await checkGatewayConfig({ GATEWAY_CONFIG: path, GATEWAY_ADMIN_PORT: String(await deadTcpPort()), PORT: String(await deadTcpPort()), LOG_LEVEL: 'silent' })
  await new Promise((resolve) => setImmediate(resolve))
  hook.disable()
  t.same(summary, { pools: 3, routes: 1, listeners: 2 })
  t.notOk([...created.values()].includes('TCPSERVERWRAP'), 'no TCP listener was ever created')
  t.same([...created.values()].filter((type) => type !== 'Timeout'), [], 'no socket is left open')
  const resourcesAfter = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length
  t.ok(resourcesAfter <= resourcesBefore, `no handle keeps running (${resourcesBefore} before, ${resourcesAfter} after)`)
  // The listeners' ports are still free.
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(tcpPort, '127.0.0.1', resolve) })
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  const socket = createSocket('udp4')
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(udpPort, '127.0.0.1', resolve) })
  await new Promise<void>((resolve) => socket.close(() => { resolve() }))
  // Timers the build made (plugin-load timeouts) are all cleared: none would fire later.
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.same([...created.values()], [], 'no timer is left')
})
