/**
 * TLS passthrough by SNI: read the server name of a connection's ClientHello
 * without terminating TLS, and map it to a pool. `read-tls-client-hello`
 * parses the first TLS record and puts every byte it read back into the
 * stream (`unshift`); the TCP listener feeds it a copy of what the client sent
 * and keeps the bytes itself, so what is piped to the target afterwards is the
 * client's stream unchanged. Framework-free.
 *
 * Names are matched case-insensitively: an exact name first, then the
 * longest `*.domain` wildcard that is a suffix (`*.example.com` matches
 * `a.example.com` and `a.b.example.com`, not `example.com`).
 */
import type { Readable } from 'node:stream'
import { readTlsClientHello, getExtensionData } from 'read-tls-client-hello'

/** `serverName` → pool name, or `undefined` for the listener's own pool. */
export type SniRouter = (serverName: string | undefined) => string | undefined

export function compileSniRoutes (sni: Readonly<Record<string, string>>): SniRouter {
  const exact = new Map<string, string>()
  const wildcards: Array<{ suffix: string, pool: string }> = []
  for (const [name, pool] of Object.entries(sni)) {
    const lower = name.toLowerCase()
    if (lower.startsWith('*.')) wildcards.push({ suffix: lower.slice(1), pool })
    else exact.set(lower, pool)
  }
  wildcards.sort((a, b) => b.suffix.length - a.suffix.length)
  return (serverName) => {
    if (serverName === undefined) return undefined
    const name = serverName.toLowerCase()
    const pool = exact.get(name)
    if (pool !== undefined) return pool
    for (const wildcard of wildcards) {
      if (name.length > wildcard.suffix.length && name.endsWith(wildcard.suffix)) return wildcard.pool
    }
    return undefined
  }
}

/** What peeking found: the ClientHello's server name (absent when it has none), or why it failed. */
export type ClientHelloResult = { ok: true, serverName: string | undefined } | { ok: false, why: 'malformed' | 'timeout' | 'closed' }

/**
 * Wait up to `timeoutMs` for the ClientHello on `socket` (a socket, or a stream fed
 * with what one read) and read its server name; the bytes stay in the stream for
 * whoever reads it next.
 */
export async function peekServerName (socket: Readable, timeoutMs: number): Promise<ClientHelloResult> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<ClientHelloResult>((resolve) => {
    timer = setTimeout(() => { resolve({ ok: false, why: 'timeout' }) }, timeoutMs)
  })
  const read = readTlsClientHello(socket).then(
    (hello): ClientHelloResult => ({ ok: true, serverName: getExtensionData(hello, 'server_name')?.serverName ?? undefined }),
    (): ClientHelloResult => ({ ok: false, why: socket.destroyed ? 'closed' : 'malformed' })
  )
  try {
    return await Promise.race([read, late])
  } finally {
    clearTimeout(timer)
  }
}
