/**
 * The optional plain-HTTP listener: every request is answered with a redirect
 * to the same path on the HTTPS port (301 for GET/HEAD, 308 otherwise, so a
 * method and body are kept). Nothing is forwarded from here. Framework-free.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/** A host name or address, as it may appear in `Host` (no port). */
const HOST_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])$/

/**
 * The `https://` URL for a request, or undefined when its `Host` is missing
 * or not a host name (no redirect to a place we can't name).
 */
export function httpsLocation (host: string | undefined, url: string, httpsPort: number): string | undefined {
  if (host === undefined) return undefined
  const name = host.replace(/:\d{1,5}$/, '')
  if (!HOST_NAME.test(name)) return undefined
  const path = url.startsWith('/') && !url.startsWith('//') ? url : '/'
  return `https://${name}${httpsPort === 443 ? '' : `:${httpsPort}`}${path}`
}

/** A node:http server redirecting to HTTPS on `httpsPort()` (read per request: the port may be 0 until listening). */
export function createRedirectServer (httpsPort: () => number): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const location = httpsLocation(req.headers.host, req.url ?? '/', httpsPort())
    req.resume()
    if (location === undefined) {
      res.writeHead(400, { 'content-type': 'application/json', connection: 'close' })
      res.end('{"statusCode":400,"code":"SWITCHYARD_BAD_HOST","error":"Bad Request","message":"A valid Host header is needed to redirect to HTTPS"}')
      return
    }
    const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308
    res.writeHead(status, { location, 'content-length': 0, 'cache-control': 'max-age=3600' })
    res.end()
  })
  server.keepAliveTimeout = 5000
  server.headersTimeout = 10_000
  server.requestTimeout = 10_000
  return server
}
