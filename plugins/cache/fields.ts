/**
 * Parsers for the response fields the cache's freshness rules read,
 * framework-free and strict where lenient parsing would reuse what the
 * origin did not allow: `Cache-Control` (RFC 9111 §5.2), HTTP-dates
 * (RFC 9110 §5.6.7), `Age` (RFC 9111 §5.1), `CDN-Cache-Control` as a
 * Structured Fields dictionary (RFC 9213, RFC 8941) and `Surrogate-Control`
 * (W3C Edge Architecture).
 */

export type Directives = Record<string, string | true>

/** Largest delta-seconds a cache has to handle; larger values mean this (RFC 9111 §1.2.2). */
export const MAX_DELTA_SECONDS = 2147483648

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const QUOTED_STRING = /^"(?:[^"\\]|\\.)*"$/

/** Split a list field at commas outside quoted strings. */
function splitList (text: string): string[] {
  const parts: string[] = []
  let start = 0
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (quoted) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) quoted = false
    } else if (c === 34) {
      quoted = true
    } else if (c === 44 /* , */) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

function joined (value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(',') : String(value)
}

/**
 * Parse a `Cache-Control` field: `token [ "=" ( token / quoted-string ) ]`
 * members, names lower-cased, quoted values unquoted, the first occurrence
 * of a name wins. Members that don't follow the grammar (`max-age =5`,
 * `max-age='5'`) are ignored, as if absent.
 */
export function parseCacheControl (value: string | string[] | number | undefined): Directives {
  const out: Directives = {}
  const text = joined(value)
  if (text === undefined) return out
  for (const raw of splitList(text)) {
    const member = raw.trim()
    if (member === '') continue
    const eq = member.indexOf('=')
    const name = (eq === -1 ? member : member.slice(0, eq)).toLowerCase()
    if (!TOKEN.test(name) || name in out) continue
    if (eq === -1) { out[name] = true; continue }
    const v = member.slice(eq + 1)
    if (v.startsWith('"')) {
      if (!QUOTED_STRING.test(v)) continue
      out[name] = v.slice(1, -1).replace(/\\(.)/g, '$1')
    } else if (TOKEN.test(v)) {
      out[name] = v
    }
  }
  return out
}

/**
 * A delta-seconds directive value: undefined when absent, NaN when present but
 * not a non-negative integer (callers treat that as "stale"), capped at 2^31.
 */
export function deltaSeconds (value: string | true | undefined): number | undefined {
  if (value === undefined) return undefined
  if (value === true || !/^\d+/.test(value)) return Number.NaN
  const n = Number.parseInt(value, 10)
  return n > MAX_DELTA_SECONDS ? MAX_DELTA_SECONDS : n
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const LONG_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const IMF_FIXDATE = /^([a-z]{3}), (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i
const RFC850_DATE = /^([a-z]{6,9}), (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i
const ASCTIME_DATE = /^([a-z]{3}) ([a-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i

/**
 * Parse an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, or the obsolete RFC 850
 * and asctime formats; names are matched case-insensitively. Anything else
 * (other zones, missing comma, extra spaces, one-digit hours, …) is invalid:
 * returns undefined.
 */
export function parseHttpDate (value: string | string[] | number | undefined, now = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  let day: number, month: number, year: number, h: number, m: number, s: number
  let match = IMF_FIXDATE.exec(text)
  if (match !== null) {
    if (!DAYS.includes((match[1] as string).toLowerCase())) return undefined
    day = Number(match[2]); month = MONTHS.indexOf((match[3] as string).toLowerCase()); year = Number(match[4])
    h = Number(match[5]); m = Number(match[6]); s = Number(match[7])
  } else if ((match = RFC850_DATE.exec(text)) !== null) {
    if (!LONG_DAYS.includes((match[1] as string).toLowerCase())) return undefined
    day = Number(match[2]); month = MONTHS.indexOf((match[3] as string).toLowerCase())
    h = Number(match[5]); m = Number(match[6]); s = Number(match[7])
    // Two-digit years more than 50 years ahead are in the past century (RFC 9110 §5.6.7).
    const thisYear = new Date(now).getUTCFullYear()
    year = Math.floor(thisYear / 100) * 100 + Number(match[4])
    if (year > thisYear + 50) year -= 100
  } else if ((match = ASCTIME_DATE.exec(text)) !== null) {
    if (!DAYS.includes((match[1] as string).toLowerCase())) return undefined
    month = MONTHS.indexOf((match[2] as string).toLowerCase()); day = Number((match[3] as string).trim())
    h = Number(match[4]); m = Number(match[5]); s = Number(match[6]); year = Number(match[7])
  } else {
    return undefined
  }
  if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined
  const time = Date.UTC(year, month, day, h, m, s)
  return new Date(time).getUTCDate() === day ? time : undefined
}

/**
 * The `Age` of a response in seconds: the first member of the first field
 * line, when it is a non-negative integer (capped at 2^31); otherwise 0 (an
 * invalid `Age` is ignored).
 */
export function parseAge (value: string | string[] | number | undefined): number {
  const first = Array.isArray(value) ? value[0] : value === undefined ? undefined : String(value)
  if (first === undefined) return 0
  const member = (first.split(',')[0] as string).trim()
  if (!/^\d+$/.test(member)) return 0
  const n = Number(member)
  return n > MAX_DELTA_SECONDS ? MAX_DELTA_SECONDS : n
}

const SF_KEY = /^[a-z*][a-z0-9_\-.*]*/
const SF_BARE_ITEM = /^(?:-?\d{1,15}(?:\.\d{1,3})?|"(?:[ !#-[\\]-~]|\\["\\])*"|[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*|:[A-Za-z0-9+/=]*:|\?[01])/

/**
 * Parse a targeted cache-control field (`CDN-Cache-Control`, RFC 9213) as a
 * Structured Fields dictionary. Returns undefined when the field is absent,
 * empty or not a valid dictionary (then the cache falls back to
 * `Cache-Control`). Integer members become delta-second strings, `?1` and
 * bare keys become `true`; members of other types are left out (a
 * `max-age="10"` is no max-age).
 */
export function parseTargetedField (value: string | string[] | number | undefined): Directives | undefined {
  const text = joined(value)?.trim()
  if (text === undefined || text === '') return undefined
  const out: Directives = {}
  let rest = text
  while (rest.length > 0) {
    const key = SF_KEY.exec(rest)
    if (key === null) return undefined
    const name = key[0]
    rest = rest.slice(name.length)
    let item: string | true = true
    if (rest.startsWith('=')) {
      if (rest.startsWith('=(')) return undefined // inner lists: no cache directive takes one
      const bare = SF_BARE_ITEM.exec(rest.slice(1))
      if (bare === null) return undefined
      item = bare[0]
      rest = rest.slice(1 + item.length)
    }
    // Parameters: `;key[=item]`, accepted and ignored.
    while (rest.startsWith(';')) {
      const param = SF_KEY.exec(rest.slice(1).replace(/^ +/, ''))
      if (param === null) return undefined
      rest = rest.slice(1).replace(/^ +/, '').slice(param[0].length)
      if (rest.startsWith('=')) {
        const bare = SF_BARE_ITEM.exec(rest.slice(1))
        if (bare === null) return undefined
        rest = rest.slice(1 + bare[0].length)
      }
    }
    if (!(name in out)) {
      if (item === true || item === '?1') out[name] = true
      else if (/^\d+$/.test(item)) out[name] = item
    }
    rest = rest.replace(/^[ \t]+/, '')
    if (rest === '') break
    if (!rest.startsWith(',')) return undefined
    rest = rest.slice(1).replace(/^[ \t]+/, '')
    if (rest === '') return undefined
  }
  return out
}

/**
 * The `Surrogate-Control` directives that apply to a surrogate named
 * `device`: untargeted ones and those with `;device`. Undefined when none do.
 */
export function parseSurrogateControl (value: string | string[] | number | undefined, device: string): Directives | undefined {
  const text = joined(value)
  if (text === undefined) return undefined
  const untargeted: string[] = []
  const targeted: string[] = []
  for (const raw of splitList(text)) {
    const member = raw.trim()
    const semi = member.lastIndexOf(';')
    if (semi === -1) untargeted.push(member)
    else if (member.slice(semi + 1).trim() === device) targeted.push(member.slice(0, semi))
  }
  // Directives targeted at this device win over untargeted ones.
  const out = parseCacheControl([...targeted, ...untargeted].join(','))
  return Object.keys(out).length === 0 ? undefined : out
}
