/**
 * Request hygiene of the `Host` field: a request with more than one `Host`
 * is invalid (RFC 9112 §3.2; nginx and HAProxy answer 400). Node keeps the
 * first in `req.headers`, so only the raw list shows the duplicate; the
 * route dispatcher (routes/dispatch.ts) and the WebSocket relay refuse it
 * before any link runs. Framework-free.
 */

/** `true` when the raw header list (`[name, value, …]`) holds `Host` more than once. */
export function hasDuplicateHost (rawHeaders: readonly string[]): boolean {
  let seen = false
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string
    if (name.length === 4 && name.toLowerCase() === 'host') {
      if (seen) return true
      seen = true
    }
  }
  return false
}
