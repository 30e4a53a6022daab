/**
 * Real backend servers for tests: node:http on 127.0.0.1, port 0.
 * Each counts the requests it saw and can be stopped and restarted on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type BackendHandler = (req: IncomingMessage, res: ServerResponse, backend: TestBackend) => void

export interface TestBackend {
  name: string
  url: string
  port: number
  server: Server
  /** Requests received (all paths). */
  hits: number
  /** Requests received, by path (without query). */
  hitsByPath: Map<string, number>
  /** Last request headers seen. */
  lastHeaders: IncomingMessage['headers'] | undefined
  stop: () => Promise<void>
  /** Listen again on the same port after `stop`. */
  start: () => Promise<void>
}

/** Default handler: JSON naming the backend, the method and the URL. */
export const echoHandler: BackendHandler = (req, res, backend) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ backend: backend.name, method: req.method, url: req.url, headers: req.headers }))
  })
}

export async function startBackend (name: string, handler: BackendHandler = echoHandler, port = 0): Promise<TestBackend> {
  const backend = { name, hits: 0, hitsByPath: new Map<string, number>(), lastHeaders: undefined } as unknown as TestBackend
  const server = createServer((req, res) => {
    backend.hits++
    const path = (req.url ?? '/').split('?')[0] as string
    backend.hitsByPath.set(path, (backend.hitsByPath.get(path) ?? 0) + 1)
    backend.lastHeaders = req.headers
    handler(req, res, backend)
  })
  backend.server = server
  const listen = async (p: number): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(p, '127.0.0.1', () => { server.off('error', reject); resolve() })
    })
  }
  await listen(port)
  backend.port = (server.address() as AddressInfo).port
  backend.url = `http://127.0.0.1:${backend.port}`
  backend.stop = async () => {
    if (!server.listening) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  backend.start = async () => { await listen(backend.port) }
  return backend
}

/** Start `count` echo backends named `b1`, `b2`, … */
export async function startBackends (count: number, handler?: BackendHandler): Promise<TestBackend[]> {
  const list: TestBackend[] = []
  for (let i = 1; i <= count; i++) list.push(await startBackend(`b${i}`, handler))
  return list
}
