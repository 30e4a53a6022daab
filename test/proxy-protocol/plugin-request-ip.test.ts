/**
 * The plugin on a bare Fastify app (plain HTTP): `request.ip`,
 * `request.socket.remoteAddress`/`remotePort`/`remoteFamily` are the carried
 * client, with and without Fastify's own `trustProxy`; keep-alive requests on
 * one connection keep it; bytes that arrive with the header are not lost.
 */
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { proxyProtocol } from '../../plugins/proxy-protocol/index.js'
import { connectWithHeader, getOver, proxyV1, proxyV2 } from '../helpers/proxy-protocol.js'

async function appWith (trustProxy: boolean | string): Promise<{ app: FastifyInstance, port: number }> {
  const app = Fastify({ trustProxy })
  await app.register(proxyProtocol, { trust: (address) => address === '127.0.0.1' })
  app.get('/who', async (request) => ({
    ip: request.ip,
    remoteAddress: request.socket.remoteAddress,
    remotePort: request.socket.remotePort,
    remoteFamily: request.socket.remoteFamily
  }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, port: (app.server.address() as AddressInfo).port }
}

for (const trustProxy of [false, '127.0.0.1']) {
  t.test(`request.ip is the carried client (Fastify trustProxy ${String(trustProxy)})`, async (t) => {
    const { app, port } = await appWith(trustProxy)
    t.teardown(async () => { await app.close() })
    const v2 = await getOver(await connectWithHeader(port, proxyV2('198.51.100.77', { sourcePort: 61000 })), '/who')
    t.same(JSON.parse(v2.body), { ip: '198.51.100.77', remoteAddress: '198.51.100.77', remotePort: 61000, remoteFamily: 'IPv4' })
    const v1 = await getOver(await connectWithHeader(port, proxyV1('2001:db8::9', 443)), '/who')
    t.same(JSON.parse(v1.body), { ip: '2001:db8::9', remoteAddress: '2001:db8::9', remotePort: 443, remoteFamily: 'IPv6' })
  })
}

t.test('header and pipelined requests in one write: every byte after the header reaches HTTP', async (t) => {
  const { app, port } = await appWith(false)
  t.teardown(async () => { await app.close() })
  const request = 'GET /who HTTP/1.1\r\nHost: x\r\n\r\n'
  const socket = await connectWithHeader(port, Buffer.concat([proxyV2('192.0.2.44'), Buffer.from(request + request + request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'))]))
  const chunks: Buffer[] = []
  socket.on('data', (c: Buffer) => chunks.push(c))
  await new Promise((resolve) => socket.on('close', resolve))
  const text = Buffer.concat(chunks).toString()
  t.equal(text.match(/HTTP\/1\.1 200 OK/g)?.length, 3, 'three responses')
  t.equal(text.match(/"ip":"192\.0\.2\.44"/g)?.length, 3, 'each for the carried client')
})
