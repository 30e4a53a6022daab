/**
 * WebSocket upgrades of gateway routes, relayed as bytes: after the
 * handshake the client and target sockets are piped both ways (frames
 * untouched, backpressure by `pipe`), as nginx and HAProxy do, so memory per
 * connection is bounded by socket buffers, not by message size (the ws-based
 * relay of @fastify/http-proxy reassembled every message in memory).
 *
 * The upgrade request runs what applies before a connection exists: path
 * hygiene (dot-segments → 400) and the balancer's pick (503 when none); its
 * headers are rewritten like any
 * forwarded request (X-Forwarded-*, the target's Host), with `Connection:
 * upgrade` and `Upgrade` kept. A connect failure is tried on another target.
 */
import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { toErrorBody } from '../../lib/errors.js'
import type { Pool, Target } from '../pools/index.js'
import { hasDotSegment } from '../request-hygiene/path.js'
import { hasDuplicateHost } from '../request-hygiene/host.js'
import { upstreamRequestHeaders } from './headers.js'
import { upstreamPath } from './forwarder.js'

/** What the relay needs of a route. */
export interface WebSocketRoute {
  readonly pool: Pool
  readonly prefix: string
  readonly stripPrefix: boolean
  readonly websocket: boolean
}

/** Relay WebSocket upgrades of the routes `table.match` finds, on `fastify.server`. */
export function installWebSocketRelay (fastify: FastifyInstance, table: { match: (path: string) => WebSocketRoute | undefined }): void {
  const server = fastify.server
  const sockets = new Set<Duplex>()
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const route = table.match(q === -1 ? url : url.slice(0, q))
    if (route === undefined || !route.websocket || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
      // Not ours: another upgrade listener (e.g. @fastify/websocket on an app route) may take it.
      if (server.listenerCount('upgrade') <= 1) refuse(socket, route === undefined ? 404 : 400)
      return
    }
    if (hasDotSegment(url) || hasDuplicateHost(req.rawHeaders)) { refuse(socket, 400); return }
    socket.on('error', () => { socket.destroy() })
    sockets.add(socket)
    socket.once('close', () => { sockets.delete(socket) })
    relay(route, req, socket, head, url)
  }
  server.on('upgrade', onUpgrade)
  fastify.addHook('onClose', async () => {
    server.off('upgrade', onUpgrade)
    for (const socket of sockets) socket.destroy()
  })
}

function relay (route: WebSocketRoute, req: IncomingMessage, client: Duplex, head: Buffer, url: string): void {
  const pool = route.pool
  const facts = { ip: req.socket.remoteAddress ?? '', url, headers: req.headers }
  const tried = new Set<Target>()
  const attempt = (): void => {
    const target = pool.pickTarget(facts, tried)
    if (target === undefined) { refuse(client, tried.size > 0 ? 502 : 503); return }
    const peer = req.socket.remoteAddress
    const headers = upstreamRequestHeaders(req.rawHeaders, undefined, {
      peerAddress: peer,
      peerTrusted: false,
      protocol: (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http',
      host: req.headers.host,
      upstreamHost: target.hostHeader
    })
    const lines = [`GET ${upstreamPath(url, route)} HTTP/1.1`, 'connection: upgrade', 'upgrade: websocket']
    for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i] as string}: ${headers[i + 1] as string}`)
    const port = Number(target.url.port) || (target.url.protocol === 'https:' ? 443 : 80)
    const host = target.url.hostname.replace(/^\[|\]$/g, '')
    const upstream: Socket = target.url.protocol === 'https:'
      ? connectTls({ host, port, servername: host, rejectUnauthorized: pool.config.tls?.rejectUnauthorized ?? true })
      : connectTcp({ host, port })
    target.inFlight++
    target.requests++
    let connected = false
    const timer = setTimeout(() => { upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })) }, pool.config.connectTimeoutMs)
    upstream.once(target.url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      connected = true
      clearTimeout(timer)
      upstream.write(lines.join('\r\n') + '\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.once('close', () => { target.inFlight--; client.destroy() })
    client.once('close', () => { upstream.destroy() })
    upstream.on('error', (err: Error & { code?: string }) => {
      clearTimeout(timer)
      if (connected) return
      pool.reportFailure(target, err.code ?? 'ECONNREFUSED', true, Date.now())
      tried.add(target)
      upstream.removeAllListeners('close')
      target.inFlight--
      if (!client.destroyed) attempt()
    })
  }
  attempt()
}

function refuse (socket: Duplex, status: number): void {
  const body = JSON.stringify(toErrorBody({ statusCode: status }))
  socket.end(`HTTP/1.1 ${status} ${toErrorBody({ statusCode: status }).error}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
}
