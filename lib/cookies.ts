/**
 * Reading cookies from a `Cookie` header without parsing the ones we don't
 * need: used by `consistent-hash` (`cookie:NAME`) and the sticky link.
 */

/** The value of one cookie in a `Cookie` header, without parsing the others. */
export function readCookie (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      return header.slice(eq + 1, end).trim()
    }
    start = end + 1
  }
  return undefined
}

/**
 * Every value of the cookies named `name` in a `Cookie` header, in order.
 * Browsers send one per matching `Path`, the most specific first.
 */
export function cookieValues (header: string, name: string): string[] {
  const values: string[] = []
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) values.push(header.slice(eq + 1, end).trim())
    start = end + 1
  }
  return values
}
