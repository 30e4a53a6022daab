/**
 * A fast, non-cryptographic 32-bit string hash for the `consistent-hash` ring.
 *
 * FNV-1a over the string's UTF-16 code units, followed by murmur3's `fmix32`
 * finalizer: FNV-1a alone mixes the last characters poorly, so ring points
 * named `id-0`, `id-1`, … would cluster; the finalizer spreads them.
 * Stable across processes and versions: gateway instances that share a
 * target list agree on which target owns a key.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** Unsigned 32-bit hash of `text`. */
export function hash32 (text: string): number {
  let hash = FNV_OFFSET_BASIS
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, FNV_PRIME)
  }
  return fmix32(hash)
}

/** murmur3's finalizer: every input bit affects every output bit. */
function fmix32 (value: number): number {
  let hash = value
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}
