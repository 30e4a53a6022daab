/**
 * The shape every link of the request chain offers (routes/chain.ts lists
 * them in order): a request half and a response half, as undici pairs an
 * interceptor with its handler and Pingora names its phases.
 *
 * - `request(exchange)` runs in chain order. It may answer the request
 *   (`exchange.respond…`), in which case no later link runs; it may return a
 *   promise, and the chain waits for it.
 * - `response(exchange)` runs when a response is about to be written, for the
 *   links whose request half ran before the answer (in reverse order, so the
 *   link nearest the upstream sees the response first), then for the
 *   response filters. It reads/edits `exchange.status` and
 *   `exchange.responseHeaders` (what the upstream, or the answering link,
 *   sent), adds the gateway's own headers with `exchange.addResponseHeader`
 *   and may transform the body with `exchange.addBodyStage`.
 *
 * A link factory builds the link of one route once, at route compile time,
 * or returns `undefined` when the link has nothing to do on that route, so a
 * request only runs the links its route needs.
 */
import type { FastifyInstance } from 'fastify'
import type { Pool } from '../plugins/pools/index.js'
import type { Exchange, ResponseHalf } from './exchange.js'
import type { TrustFunction } from './trust.js'

export interface Link extends ResponseHalf {
  /** Request half; resolve (or return) to continue, answer to stop the chain. */
  readonly request?: ((exchange: Exchange) => void | Promise<void>) | undefined
  /** Response half: a response (upstream or local) is about to be written. */
  readonly response?: ((exchange: Exchange) => void) | undefined
  /** Free what the link holds (timers) when its route leaves the table. */
  readonly close?: (() => void) | undefined
}

/** What a link factory knows of the route it builds a link for. */
export interface RouteFacts {
  /** The route prefix as matched (`/api`, `/`). */
  readonly prefix: string
  readonly pool: Pool
  readonly stripPrefix: boolean
  /** The route declaration, validated, with defaults (each link reads its own fields). */
  readonly declaration: Readonly<Record<string, unknown>>
  /** Peers whose `X-Forwarded-*` headers are believed. */
  readonly trust: TrustFunction
  /** The field naming this route in errors (`GATEWAY_CONFIG.routes.2`, `routes.0`, or the option root). */
  readonly field: string
  /** Index of this route's state slot for the link being built (see `Exchange.slots`). */
  allocateSlot: () => number
  /**
   * Send `exchange`'s request upstream once more, in the background (the
   * cache's stale-while-revalidate refresh): a target picked by the pool, the
   * request's own peer and upstream headers with `overrides` applied (flat
   * name/value list; `undefined` removes). Resolves with the sanitized
   * response; its body is undefined when larger than `maxBodyBytes`.
   */
  fetchUpstream: (exchange: Exchange, overrides: Array<string | undefined>, maxBodyBytes?: number) => Promise<UpstreamFetch>
}

/** A response fetched in the background (`RouteFacts.fetchUpstream`). */
export interface UpstreamFetch {
  status: number
  /** Sanitized headers (hop-by-hop and identity fields removed), flat lowercase name/value list. */
  headers: string[]
  body: Buffer | undefined
}

/** Builds one route's link, or `undefined` when the link is inactive there. Throws ConfigError on bad options. */
export type LinkFactory = (app: FastifyInstance, route: RouteFacts) => Link | undefined

/** A link of the chain: its name (for the README diagram and logs) and its factory. */
export interface ChainEntry {
  readonly name: string
  /** Where the link lives (`plugins/cache`), for readers and the README check. */
  readonly plugin: string
  readonly create: LinkFactory
  /** Response filters run on every response of a route, after the other links' response halves. */
  readonly filter?: boolean
  /** For the diagram: the label of this link's usual local answer (`hit`), drawn straight to the filters. */
  readonly answers?: string
  /** For the diagram: `[link name, label]` this link goes back to (the upstream retries through the balancer). */
  readonly loopsTo?: readonly [string, string]
}
