/**
 * Layer 4 listener configuration: the schemas (TypeBox) of the config file's
 * `tcp` and `udp` arrays (SPEC.md "Layer 4"), shared by the `switchyard-l4`
 * plugin's options and the bundled app's config file, with their defaults.
 */
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from '../../lib/validate.js'

export const DEFAULT_L4_CONNECT_TIMEOUT_MS = 2_000
export const DEFAULT_L4_IDLE_TIMEOUT_MS = 600_000
export const DEFAULT_MAX_CONNECTIONS = 10_000
export const DEFAULT_CLIENT_HELLO_TIMEOUT_MS = 5_000
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_SESSIONS = 10_000
/** How long closing the app waits for open TCP connections before cutting them. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000

export const PROXY_PROTOCOL_VERSIONS = ['off', 'v1', 'v2'] as const
export type ProxyProtocolVersion = typeof PROXY_PROTOCOL_VERSIONS[number]

const PoolName = Type.String({ pattern: '^[A-Za-z0-9_.-]+$' })
const IpList = Type.Array(Type.String(), { description: 'IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal)' })
const ServerName = Type.String({ pattern: '^(\\*\\.)?[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$', description: 'a host name or *.domain' })

export const TcpListenerSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.Optional(Type.String({ minLength: 1 })),
  pool: PoolName,
  sni: Type.Optional(Type.Record(ServerName, PoolName, { description: 'TLS server name (exact or *.domain) → pool, without terminating TLS' })),
  proxyProtocol: StringEnum(PROXY_PROTOCOL_VERSIONS, { default: 'off', description: 'PROXY protocol header sent to the target' }),
  connectTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_L4_CONNECT_TIMEOUT_MS }),
  idleTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_L4_IDLE_TIMEOUT_MS, description: 'Longest silence in both directions before the connection is closed.' }),
  maxConnections: Type.Integer({ minimum: 1, default: DEFAULT_MAX_CONNECTIONS, description: 'Open client connections; one more is closed at once.' }),
  clientHelloTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_CLIENT_HELLO_TIMEOUT_MS, description: 'With sni: time for the whole ClientHello to arrive.' }),
  allow: Type.Optional(IpList),
  deny: Type.Optional(IpList)
}, { additionalProperties: false })

export const UdpListenerSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.Optional(Type.String({ minLength: 1 })),
  pool: PoolName,
  sessionTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_SESSION_TIMEOUT_MS, description: 'A session with no datagram either way for this long ends.' }),
  maxSessions: Type.Integer({ minimum: 1, default: DEFAULT_MAX_SESSIONS, description: 'Sessions at once; a new client beyond it evicts the oldest.' }),
  allow: Type.Optional(IpList),
  deny: Type.Optional(IpList)
}, { additionalProperties: false })

export const TcpListenersSchema = Type.Array(TcpListenerSchema)
export const UdpListenersSchema = Type.Array(UdpListenerSchema)

/** A TCP listener after validation, with every default filled in. */
export type TcpListenerConfig = Static<typeof TcpListenerSchema>
/** A UDP listener after validation, with every default filled in. */
export type UdpListenerConfig = Static<typeof UdpListenerSchema>
/** A TCP listener as written in config (defaults optional). */
export type TcpListenerInput = Partial<TcpListenerConfig> & Pick<TcpListenerConfig, 'port' | 'pool'>
/** A UDP listener as written in config (defaults optional). */
export type UdpListenerInput = Partial<UdpListenerConfig> & Pick<UdpListenerConfig, 'port' | 'pool'>

/** Which pools an L4 listener names, each with the field that names it (for errors). */
export function listenerPools (tcp: readonly TcpListenerInput[], udp: readonly UdpListenerInput[], root: string): Array<{ field: string, pool: string, family: 'tcp' | 'udp' }> {
  const named: Array<{ field: string, pool: string, family: 'tcp' | 'udp' }> = []
  tcp.forEach((listener, i) => {
    named.push({ field: `${root}tcp.${i}.pool`, pool: listener.pool, family: 'tcp' })
    for (const [name, pool] of Object.entries(listener.sni ?? {})) named.push({ field: `${root}tcp.${i}.sni.${name}`, pool, family: 'tcp' })
  })
  udp.forEach((listener, i) => { named.push({ field: `${root}udp.${i}.pool`, pool: listener.pool, family: 'udp' }) })
  return named
}
