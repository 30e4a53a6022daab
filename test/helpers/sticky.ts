/**
 * Helpers for the sticky-session tests: a gateway (plugins on a bare Fastify,
 * optionally HTTPS) and small readers of responses and their cookies.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { pools, type PoolsPluginOptions } from '../../plugins/pools/index.js'
import { gatewayRoutes, type RouteDeclarationInput } from '../../routes/index.js'
import type { TrustProxyOption } from '../../plugins/proxy/index.js'
import type { TestGateway } from './gateway.js'

export const STICKY_SECRET = 'test-sticky-secret-0123456789abcdef'

export interface StickyGatewayOptions {
  pools: PoolsPluginOptions['pools']
  routes: RouteDeclarationInput[]
  /** Default STICKY_SECRET; `null` = none (random per start). */
  stickySecret?: string | null
  trustProxy?: TrustProxyOption
  https?: { key: string, cert: string }
  /** Called for every finished request (after the response). */
  onResponse?: (request: FastifyRequest) => void
}

export async function startStickyGateway (options: StickyGatewayOptions): Promise<TestGateway> {
  const app = (options.https !== undefined ? Fastify({ https: options.https }) : Fastify()) as unknown as FastifyInstance
  const onResponse = options.onResponse
  if (onResponse !== undefined) app.addHook('onResponse', async (request) => { onResponse(request) })
  const secret = options.stickySecret === undefined ? STICKY_SECRET : options.stickySecret
  await app.register(pools, { pools: options.pools, ...(secret !== null ? { stickySecret: secret } : {}) })
  await app.register(gatewayRoutes, { routes: options.routes, ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  return { app, url: `${options.https !== undefined ? 'https' : 'http'}://127.0.0.1:${port}`, close: async () => { await app.close() } }
}

/** A self-signed certificate for 127.0.0.1/localhost, made with the `openssl` CLI. */
export function makeCertificate (): { key: string, cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-sticky-tls-'))
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface Answer {
  status: number
  /** `backend` field of the echo backend's JSON body. */
  backend: string | undefined
  setCookies: string[]
}

/** GET `url` with an optional Cookie header; reads the whole body. */
export async function get (url: string, cookie?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { headers: cookie !== undefined ? { ...headers, cookie } : headers })
  const text = await res.text()
  let backend: string | undefined
  try { backend = (JSON.parse(text) as { backend?: string }).backend } catch { backend = undefined }
  return { status: res.status, backend, setCookies: res.headers.getSetCookie() }
}

/** The `Set-Cookie` header of cookie `name`, if any. */
export function setCookieOf (answer: Answer, name: string): string | undefined {
  return answer.setCookies.find((c) => c.startsWith(name + '='))
}

/** `name=value` of cookie `name` from a response (for a later `Cookie` header). */
export function cookiePair (answer: Answer, name: string): string | undefined {
  const header = setCookieOf(answer, name)
  return header === undefined ? undefined : header.slice(0, header.indexOf(';') === -1 ? header.length : header.indexOf(';'))
}

/** The value of cookie `name` from a response. */
export function cookieValue (answer: Answer, name: string): string | undefined {
  const pair = cookiePair(answer, name)
  return pair === undefined ? undefined : pair.slice(name.length + 1)
}

/** The attributes of a Set-Cookie header, lower-cased names → values (`true` for flags). */
export function attributesOf (header: string): Record<string, string | true> {
  const out: Record<string, string | true> = {}
  for (const part of header.split(';').slice(1)) {
    const eq = part.indexOf('=')
    if (eq === -1) out[part.trim().toLowerCase()] = true
    else out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim()
  }
  return out
}
