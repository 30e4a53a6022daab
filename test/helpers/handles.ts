/**
 * Counts of what a test process holds open, for leak checks: live timers
 * (unref'd ones included, which `process.getActiveResourcesInfo()` leaves
 * out) and every kind of active resource Node lists.
 */
import { createHook } from 'node:async_hooks'

/** Start tracking timers now; the returned function counts what is open at the moment it is called. */
export function trackHandles (): () => Record<string, number> {
  const liveTimers = new Set<number>()
  createHook({
    init (id, type) { if (type === 'Timeout') liveTimers.add(id) },
    destroy (id) { liveTimers.delete(id) }
  }).enable()
  return () => {
    const counts: Record<string, number> = { 'Timeout (live, unref included)': liveTimers.size }
    for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1
    return counts
  }
}
