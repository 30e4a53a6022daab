/**
 * Interoperability with a real PROXY protocol sender: HAProxy (Debian package
 * `haproxy`) in `mode tcp` in front of the gateway, with `send-proxy` (v1)
 * and `send-proxy-v2` (with CRC32C and UNIQUE_ID TLVs). Clients connect to
 * HAProxy from 127.0.0.2 and 127.0.0.3; HAProxy connects to the gateway from
 * 127.0.0.1, the only trusted peer; the backend sees each client's address.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway } from '../helpers/gateway.js'
import { getOver } from '../helpers/proxy-protocol.js'

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitForListener (port: number, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true) })
      socket.on('error', () => { resolve(false) })
    })
    if (up) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nothing listening on ${port}`)
}

t.test('HAProxy send-proxy and send-proxy-v2 in front of the gateway', async (t) => {
  const backend = await startBackend('b')
  const gw = await startAppGateway({ GATEWAY_UPSTREAMS: backend.url, GATEWAY_PROXY_PROTOCOL: 'on', GATEWAY_TRUST_PROXY: '127.0.0.1' })
  t.teardown(async () => { await gw.close(); await backend.stop() })
  const gatewayPort = (gw.app.server.address() as AddressInfo).port
  const v1Port = await freePort()
  const v2Port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-haproxy-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const configPath = join(dir, 'haproxy.cfg')
  writeFileSync(configPath, [
    'global',
    '  log stderr format raw local0 err',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    'frontend v1',
    `  bind 127.0.0.1:${v1Port}`,
    '  default_backend gateway_v1',
    'frontend v2',
    `  bind 127.0.0.1:${v2Port}`,
    '  unique-id-format %{+X}o%ci:%cp',
    '  default_backend gateway_v2',
    'backend gateway_v1',
    `  server gw 127.0.0.1:${gatewayPort} send-proxy source 127.0.0.1`,
    'backend gateway_v2',
    `  server gw 127.0.0.1:${gatewayPort} send-proxy-v2 proxy-v2-options crc32c,unique-id source 127.0.0.1`,
    ''
  ].join('\n'))
  const haproxy = spawn('haproxy', ['-db', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] })
  let haproxyErrors = ''
  haproxy.stderr.on('data', (c: Buffer) => { haproxyErrors += c.toString() })
  t.teardown(() => { haproxy.kill('SIGKILL') })
  const deadline = Date.now() + 10_000
  await waitForListener(v1Port, deadline)
  await waitForListener(v2Port, deadline)

  const xffVia = async (port: number, localAddress: string): Promise<string | undefined> => {
    const socket = connect({ port, host: '127.0.0.1', localAddress })
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    const res = await getOver(socket, '/via-haproxy')
    t.equal(res.status, 200, `status via ${port === v1Port ? 'v1' : 'v2'} from ${localAddress}${res.status === 200 ? '' : ` (haproxy: ${haproxyErrors})`}`)
    return res.status === 200 ? (JSON.parse(res.body) as { headers: Record<string, string> }).headers['x-forwarded-for'] : undefined
  }
  t.equal(await xffVia(v1Port, '127.0.0.2'), '127.0.0.2', 'send-proxy (v1): the client 127.0.0.2, not HAProxy\'s 127.0.0.1')
  t.equal(await xffVia(v1Port, '127.0.0.3'), '127.0.0.3', 'send-proxy (v1): the client 127.0.0.3')
  t.equal(await xffVia(v2Port, '127.0.0.2'), '127.0.0.2', 'send-proxy-v2 with CRC32C and UNIQUE_ID: the client 127.0.0.2')
  t.equal(await xffVia(v2Port, '127.0.0.3'), '127.0.0.3', 'send-proxy-v2: the client 127.0.0.3')
  t.equal(backend.hits, 4)
})
