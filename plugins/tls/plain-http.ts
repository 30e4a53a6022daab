/**
 * Plain HTTP sent to the TLS port: answered with a readable `400` that says
 * to use https (as nginx does: "The plain HTTP request was sent to HTTPS
 * port"), instead of a silent close. OpenSSL recognises an HTTP request line
 * where a ClientHello should be (`ERR_SSL_HTTP_REQUEST`); the TLS server then
 * reports `tlsClientError`, and the answer is written in clear on the TCP
 * connection under the failed TLS socket. TLS connections are not touched.
 * Framework-free.
 */
import type { Server } from 'node:tls'
import type { Socket } from 'node:net'

const BODY = '{"statusCode":400,"code":"SWITCHYARD_PLAIN_HTTP_ON_TLS_PORT","error":"Bad Request","message":"The plain HTTP request was sent to the HTTPS port: use https://"}'
export const PLAIN_HTTP_RESPONSE = `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\nConnection: close\r\n\r\n${BODY}`

/** The TCP socket under a TLS socket (Node keeps it as the TLS handle's `_parentWrap`). */
function tcpSocketOf (tlsSocket: object): Socket | undefined {
  const handle = (tlsSocket as { _handle?: { _parentWrap?: unknown } | null })._handle
  const parent = handle?._parentWrap
  return parent !== null && typeof parent === 'object' && typeof (parent as Socket).end === 'function' ? parent as Socket : undefined
}

/** Answer plain HTTP requests on `server` (an HTTPS or HTTP/2 secure server) with a 400. */
export function answerPlainHttpOnTlsPort (server: Pick<Server, 'on'>): void {
  server.on('tlsClientError', (err: NodeJS.ErrnoException, tlsSocket: object) => {
    if (err.code !== 'ERR_SSL_HTTP_REQUEST') return
    const tcp = tcpSocketOf(tlsSocket)
    if (tcp === undefined || tcp.destroyed || !tcp.writable) return
    tcp.end(PLAIN_HTTP_RESPONSE)
  })
}
