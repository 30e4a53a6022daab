/**
 * Compressed variants of in-memory bodies, so that a cached entry served again
 * and again is compressed once per encoding, not on every hit. Keyed by the
 * body Buffer itself (a WeakMap: a variant lives as long as its entry), then
 * by the client's `Accept-Encoding` value. Framework-free.
 */

export interface Variant {
  /** The `Content-Encoding` chosen for that `Accept-Encoding`. */
  encoding: string
  body: Buffer
}

/** Distinct `Accept-Encoding` values kept per body (clients send few). */
export const MAX_VARIANTS_PER_BODY = 8

export class CompressedVariants {
  private readonly byBody = new WeakMap<Buffer, Map<string, Variant>>()
  /** Bodies larger than this are not kept (their variants would pin too much memory). */
  readonly maxBytes: number

  constructor (maxBytes: number) {
    this.maxBytes = maxBytes
  }

  get (body: Buffer, acceptEncoding: string): Variant | undefined {
    return this.byBody.get(body)?.get(acceptEncoding)
  }

  /** Keep `variant`; false when the body is too large or has enough variants already. */
  set (body: Buffer, acceptEncoding: string, variant: Variant): boolean {
    if (body.length > this.maxBytes) return false
    let variants = this.byBody.get(body)
    if (variants === undefined) {
      variants = new Map()
      this.byBody.set(body, variants)
    } else if (variants.size >= MAX_VARIANTS_PER_BODY) {
      return false
    }
    variants.set(acceptEncoding, variant)
    return true
  }
}
