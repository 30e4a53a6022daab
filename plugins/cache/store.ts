/**
 * The interface every cache store implements (memory, Redis). Keys are
 * primary keys (`key.ts`) or variant keys (primary + NUL + secondary); a
 * store indexes variants under their primary so that deleting a URL deletes
 * all of its variants. Stores never throw to the request path: a store that
 * cannot answer reports a miss (`get` → undefined) and drops writes.
 */
import type { StoredItem } from './entry.js'

export interface CacheStore {
  /** `memory` or `redis`, for logs and `/status`. */
  readonly kind: string
  get: (key: string) => Promise<StoredItem | undefined>
  /** Store `item` for at most `ttlMs`. */
  set: (key: string, item: StoredItem, ttlMs: number) => Promise<void>
  /** Delete a primary key and all its variants; resolves to how many items went. */
  delete: (primary: string) => Promise<number>
  /** Delete every key that starts with `prefix`; resolves to how many items went. */
  purgePrefix: (prefix: string) => Promise<number>
  close: () => Promise<void>
}
