/**
 * The request chain, in one place: the order of the links every gateway
 * route is built from. Request halves run top to bottom until one answers;
 * when a response is written, the response halves of the links that ran
 * before the answer run bottom to top (the one nearest the upstream first),
 * then the response filters (`filter: true`) in list order. A route keeps
 * only the links that have something to do on it (see `LinkFactory`).
 *
 * The README's request-path diagram is generated from this list
 * (`renderChainDiagram`), and a test checks that it is.
 */
import type { ChainEntry } from '../lib/link.js'
import { createPathLink, createBodyLimitLink } from '../plugins/request-hygiene/link.js'
import { createAccessControlLink } from '../plugins/access-control/link.js'
import { createRateLimitLink } from '../plugins/rate-limit/link.js'
import { createCacheLink } from '../plugins/cache/link.js'
import { createStickyLink } from '../plugins/sticky/link.js'
import { createExchangeLink, createBalancerLink, createUpstreamLink } from '../plugins/proxy/forwarder.js'
import { createCompressionLink } from '../plugins/compression/link.js'
import { createSecurityHeadersLink } from '../plugins/security-headers/link.js'
import { DEFAULT_BODY_LIMIT_BYTES } from '../plugins/request-hygiene/body-limit.js'

export const CHAIN: readonly ChainEntry[] = [
  { name: 'path', plugin: 'plugins/request-hygiene', create: createPathLink },
  { name: 'access control', plugin: 'plugins/access-control', create: createAccessControlLink },
  { name: 'rate limit', plugin: 'plugins/rate-limit', create: createRateLimitLink },
  { name: 'body limit', plugin: 'plugins/request-hygiene', create: createBodyLimitLink },
  { name: 'exchange', plugin: 'plugins/proxy', create: () => createExchangeLink() },
  { name: 'cache', plugin: 'plugins/cache', create: createCacheLink },
  { name: 'sticky', plugin: 'plugins/sticky', create: createStickyLink },
  { name: 'balancer', plugin: 'plugins/proxy', create: () => createBalancerLink() },
  {
    name: 'upstream',
    plugin: 'plugins/proxy',
    create: (app, route) => createUpstreamLink(route, (route.declaration.bodyLimit as number | undefined) ?? DEFAULT_BODY_LIMIT_BYTES, app.log)
  },
  { name: 'compression', plugin: 'plugins/compression', create: createCompressionLink, filter: true },
  { name: 'security headers', plugin: 'plugins/security-headers', create: createSecurityHeadersLink, filter: true }
]

/** The chain as a mermaid flowchart (the README's "request path" diagram). */
export function renderChainDiagram (chain: readonly ChainEntry[] = CHAIN): string {
  const steps = chain.filter((entry) => entry.filter !== true)
  const filters = chain.filter((entry) => entry.filter === true)
  const id = (i: number): string => `L${i}`
  const lines = ['flowchart LR', '  C[client] --> L0']
  steps.forEach((entry, i) => {
    const next = i + 1 < steps.length ? id(i + 1) : 'F'
    lines.push(`  ${id(i)}["${entry.name}<br/><small>${entry.plugin}</small>"] --> ${next}`)
  })
  lines.push(`  F["response filters<br/><small>${filters.map((f) => f.name).join(', ')}</small>"] --> C`)
  return lines.join('\n')
}
