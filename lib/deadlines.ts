/**
 * Precise timeouts without a timer per request: a `DeadlineQueue` holds
 * entries that all wait the same `timeoutMs` (a pool's `responseTimeoutMs`,
 * or its `idleTimeoutMs`), so deadlines are in insertion order. Entries form
 * an intrusive doubly linked list (the fields live on the entry itself:
 * nothing is allocated per request), and one timer is armed for the head.
 * Adding, removing and touching (moving to the tail with a new deadline) are
 * O(1); the timer fires within a millisecond or two of the head's deadline
 * (undici's own timers are coarse: up to ~0.5 s late).
 */

/** An entry of a `DeadlineQueue`: the fields are the queue's, the method the caller's. */
export interface DeadlineEntry {
  deadlineAt: number
  deadlinePrev: DeadlineEntry | undefined
  deadlineNext: DeadlineEntry | undefined
  deadlineQueue: DeadlineQueue | undefined
  /** Called once when the deadline passes (the entry has left the queue). */
  onDeadline: () => void
}

export class DeadlineQueue {
  readonly timeoutMs: number
  private head: DeadlineEntry | undefined = undefined
  private tail: DeadlineEntry | undefined = undefined
  private timer: NodeJS.Timeout | undefined = undefined
  private closed = false
  private readonly fire = (): void => { this.expire() }

  constructor (timeoutMs: number) {
    this.timeoutMs = timeoutMs
  }

  /** Start (or restart) `entry`'s wait: its deadline is now + timeoutMs. */
  add (entry: DeadlineEntry, now: number): void {
    if (entry.deadlineQueue !== undefined) entry.deadlineQueue.remove(entry)
    entry.deadlineAt = now + this.timeoutMs
    entry.deadlineQueue = this
    entry.deadlinePrev = this.tail
    entry.deadlineNext = undefined
    if (this.tail === undefined) this.head = entry
    else this.tail.deadlineNext = entry
    this.tail = entry
    if (this.timer === undefined) this.arm(entry.deadlineAt, now)
  }

  /** Stop waiting for `entry` (it answered, or finished). */
  remove (entry: DeadlineEntry): void {
    if (entry.deadlineQueue !== this) return
    const prev = entry.deadlinePrev
    const next = entry.deadlineNext
    if (prev === undefined) this.head = next
    else prev.deadlineNext = next
    if (next === undefined) this.tail = prev
    else next.deadlinePrev = prev
    entry.deadlinePrev = entry.deadlineNext = entry.deadlineQueue = undefined
    // The timer stays armed for the old head, even when the queue empties: when it fires it
    // re-arms for the new head, if any. Clearing it here would make a gateway under light load
    // (requests one at a time) clear and set a timer per request. A closed queue (its route left
    // the table) still times its requests in flight, and lets its timer go once they are done.
    if (this.closed && this.head === undefined && this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  /** Entries waiting (for tests and /status). */
  get size (): number {
    let n = 0
    for (let e = this.head; e !== undefined; e = e.deadlineNext) n++
    return n
  }

  close (): void {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.head = this.tail = undefined
  }

  private arm (deadlineAt: number, now: number): void {
    this.timer = setTimeout(this.fire, Math.max(deadlineAt - now, 1))
    this.timer.unref()
  }

  private expire (): void {
    this.timer = undefined
    const now = Date.now()
    let entry: DeadlineEntry | undefined
    while ((entry = this.head) !== undefined && entry.deadlineAt <= now) {
      this.remove(entry)
      entry.onDeadline()
    }
    if (this.head !== undefined && this.timer === undefined) this.arm(this.head.deadlineAt, now)
  }
}
