/**
 * The built-in demo: a few sample backends on loopback, started when the
 * bundled app has no upstream configured, so `npm start` shows balancing.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface DemoBackends {
  urls: string[]
  close: () => Promise<void>
}

export async function startDemoBackends (count = 3): Promise<DemoBackends> {
  const servers: Server[] = []
  const urls: string[] = []
  for (let i = 1; i <= count; i++) {
    const name = `demo-backend-${i}`
    const server = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
        return
      }
      req.resume()
      const body = JSON.stringify({ backend: name, method: req.method, url: req.url, forwardedFor: req.headers['x-forwarded-for'] ?? null })
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body + '\n')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  }
  return {
    urls,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()) })))
    }
  }
}
