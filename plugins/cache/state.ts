/**
 * The cache link's per-request state, kept on `request.switchyard.cache`
 * (the request's `Exchange`).
 */
import type { ForwardReason } from './cache-status.js'
import type { CachedResponse } from './entry.js'

export type CacheMode =
  /** Answered from the cache in the preHandler: onSend leaves it alone. */
  | 'served'
  /** Forwarded without looking at the cache (method, Range, Upgrade). */
  | 'bypass'
  /** An unsafe method: a successful response invalidates the target URI. */
  | 'invalidate'
  /** A GET/HEAD forwarded because of a miss or a revalidation: the response may be stored. */
  | 'forward'

export class CacheRequestState {
  mode: CacheMode
  fwd: ForwardReason
  /** Primary key of the request (GET/HEAD only, else ''). */
  readonly key: string
  /** The stored response being revalidated, and the key it is stored under. */
  stale: CachedResponse | undefined = undefined
  staleKey = ''
  /** Releases the coalescing slot this request leads; undefined when it leads none. */
  release: (() => void) | undefined = undefined
  /** A background refresh (stale-while-revalidate) made by the cache itself. */
  refresh = false
  /** onSend took over releasing the coalescing slot (the store write ends it). */
  settling = false

  constructor (mode: CacheMode, fwd: ForwardReason, key: string) {
    this.mode = mode
    this.fwd = fwd
    this.key = key
  }

  /** Let coalesced followers go (idempotent). */
  finish (): void {
    const release = this.release
    if (release !== undefined) {
      this.release = undefined
      release()
    }
  }
}
