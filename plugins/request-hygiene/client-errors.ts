/**
 * Answers for requests Node's HTTP parser (llhttp) refuses before Fastify
 * sees them — conflicting `Content-Length`/`Transfer-Encoding`, obfuscated
 * `Transfer-Encoding`, invalid header characters or chunk sizes (400), headers
 * over `maxHeaderSize` (431), headers or request not received in time (408)
 * — in the gateway's error format, and the connection closed. Nothing of such
 * a request reaches a route, so nothing reaches a backend.
 */
import type { Socket } from 'node:net'
import { toErrorBody } from '../../lib/errors.js'

interface ClientError extends Error {
  code?: string
}

const BAD_REQUEST = response(400, 'SWITCHYARD_BAD_REQUEST', 'The request is malformed')
const HEADERS_TOO_LARGE = response(431, 'SWITCHYARD_HEADERS_TOO_LARGE', 'The request headers are too large')
const REQUEST_TIMEOUT = response(408, 'SWITCHYARD_REQUEST_TIMEOUT', 'The request was not received in time')

function response (statusCode: number, code: string, message: string): string {
  const body = JSON.stringify(toErrorBody({ statusCode, code, message }))
  const reason = toErrorBody({ statusCode }).error
  return `HTTP/1.1 ${statusCode} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
}

/** The raw response written for a parser error code (`HPE_*`, `ERR_HTTP_REQUEST_TIMEOUT`). */
export function clientErrorResponse (code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return HEADERS_TOO_LARGE
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return REQUEST_TIMEOUT
  return BAD_REQUEST
}

/**
 * Fastify's `clientErrorHandler` (the server's `clientError` event): write
 * the answer if the socket still can take it, then close it.
 */
export function clientErrorHandler (error: ClientError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  // As Node itself does: write what the kernel takes now, then close.
  if (socket.writable) socket.write(clientErrorResponse(error.code))
  socket.destroy()
}
