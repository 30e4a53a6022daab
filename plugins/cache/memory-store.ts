/**
 * In-process cache store: an LRU bounded in bytes. An item is stored as a
 * compact copy that holds only its own bytes (`compactItem`: the body in its
 * own ArrayBuffer, not a slice of a socket read; header names and short
 * values interned in a table the store owns), and counted
 * at what it costs the process: body, headers, key and the objects around
 * them (`itemSize`). A `Map` keeps recency order: a hit re-inserts its key at
 * the end, eviction takes from the front. Expired items are dropped when read.
 */
import type { StoredItem } from './entry.js'
import { compactItem, itemSize, ownString, StringTable } from './entry.js'
import { primaryOf, VARIANT_SEPARATOR } from './key.js'
import type { CacheStore } from './store.js'

export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024

interface Slot {
  item: StoredItem
  size: number
  expiresAt: number
}

export class MemoryStore implements CacheStore {
  readonly kind = 'memory'
  /** The byte bound. */
  readonly maxBytes: number
  private readonly slots = new Map<string, Slot>()
  /** Variant keys by primary key. */
  private readonly variants = new Map<string, Set<string>>()
  /** Header names and short values, kept once for all entries. */
  private readonly strings = new StringTable()
  private used = 0

  constructor (maxBytes = DEFAULT_CACHE_MAX_BYTES) {
    this.maxBytes = maxBytes
  }

  /** Bytes currently accounted for. */
  get bytes (): number { return this.used }
  /** Items currently stored. */
  get size (): number { return this.slots.size }

  async get (key: string): Promise<StoredItem | undefined> {
    return this.getNow(key)
  }

  /** Synchronous read (the memory store never waits). */
  getNow (key: string): StoredItem | undefined {
    const slot = this.slots.get(key)
    if (slot === undefined) return undefined
    if (slot.expiresAt <= Date.now()) {
      this.remove(key, slot)
      return undefined
    }
    this.slots.delete(key)
    this.slots.set(key, slot)
    return slot.item
  }

  async set (key: string, item: StoredItem, ttlMs: number): Promise<void> {
    const size = itemSize(key, item)
    const old = this.slots.get(key)
    if (old !== undefined) this.remove(key, old)
    if (size > this.maxBytes) return
    key = ownString(key)
    item = compactItem(item, this.strings)
    while (this.used + size > this.maxBytes) {
      const oldest = this.slots.keys().next()
      if (oldest.done === true) break
      this.remove(oldest.value, this.slots.get(oldest.value) as Slot)
    }
    this.slots.set(key, { item, size, expiresAt: Date.now() + ttlMs })
    this.used += size
    if (key.includes(VARIANT_SEPARATOR)) {
      const primary = primaryOf(key)
      let set = this.variants.get(primary)
      if (set === undefined) this.variants.set(primary, set = new Set())
      set.add(key)
    }
  }

  async delete (primary: string): Promise<number> {
    let count = 0
    const slot = this.slots.get(primary)
    if (slot !== undefined) { this.remove(primary, slot); count++ }
    const set = this.variants.get(primary)
    if (set !== undefined) {
      for (const key of [...set]) {
        const s = this.slots.get(key)
        if (s !== undefined) { this.remove(key, s); count++ }
      }
      this.variants.delete(primary)
    }
    return count
  }

  async purgePrefix (prefix: string): Promise<number> {
    let count = 0
    for (const [key, slot] of [...this.slots]) {
      if (key.startsWith(prefix)) { this.remove(key, slot); count++ }
    }
    return count
  }

  async close (): Promise<void> {
    this.slots.clear()
    this.variants.clear()
    this.used = 0
  }

  private remove (key: string, slot: Slot): void {
    this.slots.delete(key)
    this.used -= slot.size
    if (key.includes(VARIANT_SEPARATOR)) {
      const primary = primaryOf(key)
      const set = this.variants.get(primary)
      if (set !== undefined) {
        set.delete(key)
        if (set.size === 0) this.variants.delete(primary)
      }
    }
  }
}
