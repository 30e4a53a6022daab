/**
 * `If-None-Match` (RFC 9110 §13.1.2), for whoever answers conditional GETs:
 * the response cache (a stored response's validator) and the admin's
 * `/status` (its body's ETag, which the status page polls with). `*`
 * matches any current representation; otherwise the field is a list of
 * entity tags, compared weakly (`W/` ignored, §8.8.3.2), as the cache also
 * compares a 304's ETag with a stored one. Framework-free.
 */

/** Whether `ifNoneMatch` names the representation whose ETag is `etag` (undefined: it has none). */
export function ifNoneMatchHits (ifNoneMatch: string, etag: string | undefined): boolean {
  if (etag === undefined) return ifNoneMatch.trim() === '*'
  for (const tag of ifNoneMatch.split(',')) {
    const t = tag.trim()
    if (t === '*' || weaklyEqual(t, etag)) return true
  }
  return false
}

/** The weak comparison of two entity tags: equal once a `W/` prefix is dropped from each. */
export function weaklyEqual (a: string, b: string): boolean {
  return stripWeak(a) === stripWeak(b)
}

function stripWeak (etag: string): string {
  return etag.startsWith('W/') ? etag.slice(2) : etag
}
