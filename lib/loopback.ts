/**
 * Is a listen address loopback-only (127.0.0.0/8, ::1, `localhost`)?
 * Used where binding beyond loopback needs more care (the admin listener).
 */
import { isIPv4, isIPv6 } from 'node:net'

export function isLoopbackHost (host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  if (isIPv4(name)) return name.startsWith('127.')
  if (isIPv6(name)) {
    if (name === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(name)) return true
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name)
    return mapped !== null && (mapped[1] as string).startsWith('127.')
  }
  return false
}
