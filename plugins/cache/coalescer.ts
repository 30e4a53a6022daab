/**
 * Request coalescing, framework-free: the first miss for a key becomes the
 * leader and goes upstream; later misses for the same key wait until the
 * leader's response is stored (or not), then look again. The wait is
 * bounded: after `maxWaitMs` a follower goes upstream itself.
 */
export class Coalescer {
  private readonly pending = new Map<string, { promise: Promise<void>, resolve: () => void }>()

  /** Become the leader for `key`; returns undefined when another request already leads. */
  lead (key: string): (() => void) | undefined {
    if (this.pending.has(key)) return undefined
    let resolve!: () => void
    const promise = new Promise<void>((_resolve) => { resolve = _resolve })
    const slot = { promise, resolve }
    this.pending.set(key, slot)
    let done = false
    return () => {
      if (done) return
      done = true
      if (this.pending.get(key) === slot) this.pending.delete(key)
      resolve()
    }
  }

  /** Whether a leader is in flight for `key`. */
  isLeading (key: string): boolean {
    return this.pending.has(key)
  }

  /** Wait for the leader of `key` (if any) to finish, at most `maxWaitMs`; true when it finished. */
  async wait (key: string, maxWaitMs: number): Promise<boolean> {
    const slot = this.pending.get(key)
    if (slot === undefined) return true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(resolve, maxWaitMs, false) })
    const finished = await Promise.race([slot.promise.then(() => true), timeout])
    clearTimeout(timer)
    return finished
  }

  /** Release every waiter (on close). */
  clear (): void {
    for (const slot of this.pending.values()) slot.resolve()
    this.pending.clear()
  }
}
