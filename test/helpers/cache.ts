/**
 * Helpers for the cache tests: a backend whose responses a test scripts per
 * request, a cached gateway in front of it, and a small HTTP client that
 * shows exactly what a client got.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import type { Test } from 'tap'
import { startBackend, type BackendHandler, type TestBackend } from './backend.js'
import { startAppGateway, writeConfigFile, type TestGateway } from './gateway.js'
import type { Env } from '../../config/index.js'

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One HTTP/1.1 request to the gateway; resolves with what the client saw. */
export async function send (base: string, path: string, options: { method?: string, headers?: OutgoingHttpHeaders, body?: string } = {}): Promise<Answer> {
  const url = new URL(path, base)
  return await new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A backend answering with `respond(req)` (status, headers, body); counts hits. */
export async function scriptedBackend (respond: (req: Parameters<BackendHandler>[0], hit: number) => { status?: number, headers?: OutgoingHttpHeaders, body?: string | Buffer, delayMs?: number }): Promise<TestBackend> {
  return await startBackend('origin', (req, res, backend) => {
    req.resume()
    req.on('end', () => {
      const answer = respond(req, backend.hits)
      const write = (): void => {
        res.writeHead(answer.status ?? 200, answer.headers ?? {})
        res.end(answer.body ?? '')
      }
      if (answer.delayMs !== undefined) setTimeout(write, answer.delayMs)
      else write()
    })
  })
}

/** The bundled app with GATEWAY_CACHE=memory in front of `backend` (or with routes from `config`). */
export async function cachedGateway (t: Test, backend: TestBackend, env: Env = {}, routeCache?: unknown): Promise<TestGateway> {
  const extra: Env = routeCache === undefined
    ? { GATEWAY_UPSTREAMS: backend.url, GATEWAY_CACHE: 'memory' }
    : { GATEWAY_CONFIG: writeConfigFile({ pools: { origin: { targets: [backend.url] } }, routes: [{ path: '/', pool: 'origin', cache: routeCache }] }) }
  const gateway = await startAppGateway({ ...extra, ...env })
  t.teardown(async () => { await gateway.close(); await backend.stop() })
  return gateway
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
