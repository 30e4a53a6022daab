/**
 * Answers for requests Node's HTTP parser (llhttp) refuses before Fastify
 * sees them — conflicting `Content-Length`/`Transfer-Encoding`, obfuscated
 * `Transfer-Encoding`, invalid header characters or chunk sizes (400), headers
 * over `maxHeaderSize` (431), headers or request not received in time (408)
 * — in the gateway's error format, and the connection closed. Nothing of such
 * a request reaches a route, so nothing reaches a backend.
 */
import type { Socket } from 'node:net'
import { toErrorBody, type ErrorLike, type GatewayErrorBody } from '../../lib/errors.js'

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

/** Our code and fixed message for a client error of another origin (Fastify, a plugin), by status. */
const CLIENT_ERRORS: Record<number, [string, string]> = {
  400: ['SWITCHYARD_BAD_REQUEST', 'The request is malformed'],
  404: ['SWITCHYARD_NO_ROUTE', 'No route matches this request'],
  405: ['SWITCHYARD_METHOD_NOT_ALLOWED', 'Method not allowed on this route'],
  406: ['SWITCHYARD_NOT_ACCEPTABLE', 'No acceptable representation'],
  408: ['SWITCHYARD_REQUEST_TIMEOUT', 'The request was not received in time'],
  413: ['SWITCHYARD_BODY_TOO_LARGE', 'The request body is larger than this route accepts'],
  414: ['SWITCHYARD_URI_TOO_LONG', 'The request target is too long'],
  415: ['SWITCHYARD_UNSUPPORTED_MEDIA_TYPE', 'The request body type is not supported'],
  431: ['SWITCHYARD_HEADERS_TOO_LARGE', 'The request headers are too large']
}

/**
 * The body a client sees for any error of the bundled app (Fastify's
 * `frameworkErrors` and error handler): the gateway's own errors as they
 * are; any other error by its status only, with our code and a fixed
 * message, so that no library text (Fastify's `'…' is not a valid url
 * component`, which echoes the raw path) and no request bytes reach a client.
 */
export function publicErrorBody (error: ErrorLike): GatewayErrorBody {
  if (typeof error.code === 'string' && error.code.startsWith('SWITCHYARD_')) return toErrorBody(error)
  const { statusCode, error: text } = toErrorBody({ statusCode: error.statusCode ?? error.status ?? 500 })
  if (statusCode >= 500) return { statusCode, code: 'SWITCHYARD_ERROR', error: text, message: text }
  const [code, message] = CLIENT_ERRORS[statusCode] ?? ['SWITCHYARD_CLIENT_ERROR', text]
  return { statusCode, code, error: text, message }
}
