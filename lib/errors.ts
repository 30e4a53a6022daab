/**
 * Errors the gateway makes itself. Messages are fixed strings: never a
 * backend address, never an upstream error text.
 */
import createError from '@fastify/error'

export const NoRouteError = createError('SWITCHYARD_NO_ROUTE', 'No route matches this request', 404)
export const NoTargetError = createError('SWITCHYARD_NO_TARGET', 'No upstream target is available', 503)
export const BadGatewayError = createError('SWITCHYARD_BAD_GATEWAY', 'The upstream server failed to answer', 502)
export const GatewayTimeoutError = createError('SWITCHYARD_GATEWAY_TIMEOUT', 'The upstream server took too long to answer', 504)
/** A request body over the route's `bodyLimit` (declared, or counted while streaming). */
export const BodyTooLargeError = createError('SWITCHYARD_BODY_TOO_LARGE', 'The request body is larger than this route accepts', 413)

/** Seconds a client should wait before retrying after a 503 for lack of targets. */
export const NO_TARGET_RETRY_AFTER_SECONDS = 1

export interface GatewayErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout'
}

export interface ErrorLike {
  statusCode?: number
  status?: number
  code?: string
  message?: string
}

/**
 * The JSON body a client sees for an error. Our own errors (`SWITCHYARD_*`)
 * and client errors (4xx) keep their message; any other 5xx gets a generic one,
 * so that nothing of an upstream's error text leaks.
 */
export function toErrorBody (error: ErrorLike): GatewayErrorBody {
  const raw = error.statusCode ?? error.status ?? 500
  const statusCode = raw >= 400 && raw <= 599 ? raw : 500
  const code = typeof error.code === 'string' ? error.code : 'SWITCHYARD_ERROR'
  const ours = code.startsWith('SWITCHYARD_')
  const text = STATUS_TEXT[statusCode] ?? (statusCode >= 500 ? 'Server Error' : 'Client Error')
  const message = ours || (statusCode < 500 && code.startsWith('FST_'))
    ? String(error.message)
    : text
  return { statusCode, code: ours ? code : (statusCode >= 500 ? 'SWITCHYARD_ERROR' : code), error: text, message }
}
