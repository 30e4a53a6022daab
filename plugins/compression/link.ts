/**
 * The compression response filter of the chain: br, gzip or deflate chosen
 * by the client's `Accept-Encoding` q-values (`@fastify/accept-negotiator`,
 * the negotiator of @fastify/compress), by the gateway's policy (policy.ts:
 * no ranges, event streams, already-encoded bodies, `no-transform`, small
 * or bodyless responses). Streamed bodies go through a zlib stream (a body
 * stage); in-memory bodies (cache hits, local answers) are compressed at
 * once and their variants kept (variants.ts), so a cached entry is not
 * compressed again on every hit. Adds `Vary: accept-encoding` to every
 * response whose encoding depends on the request and weakens strong ETags
 * of compressed bodies.
 *
 * Why not @fastify/compress on gateway routes: its onSend hook needs
 * Fastify's reply pipeline, which the gateway's routes bypass (they write to
 * the raw response); it stays registered for an app's own routes.
 */
import { constants as zlib, createBrotliCompress, createDeflate, createGzip, brotliCompressSync, deflateSync, gzipSync, type BrotliOptions, type ZlibOptions } from 'node:zlib'
import type { Writable } from 'node:stream'
import { negotiate } from '@fastify/accept-negotiator'
import type { FastifyInstance } from 'fastify'
import { getHeader, removeHeader, setHeader, type Exchange } from '../../lib/exchange.js'
import type { LinkFactory } from '../../lib/link.js'
import { mayCompress, varyWithAcceptEncoding, weakenEtag, type Encoding } from './policy.js'
import type { CompressedVariants } from './variants.js'

/** What the `switchyard-compression` plugin decided once (decorated as `switchyardCompressionSettings`). */
export interface CompressionSettings {
  threshold: number
  encodings: Encoding[]
  brotliQuality: number
  zlibLevel: number
  variants: CompressedVariants | undefined
  stats: { variantsKept: number, variantsReused: number }
}

export const createCompressionLink: LinkFactory = (app: FastifyInstance) => {
  if (!app.hasDecorator('switchyardCompressionSettings')) return undefined
  const settings = (app as FastifyInstance & { switchyardCompressionSettings: CompressionSettings }).switchyardCompressionSettings
  const { threshold, encodings, variants, stats } = settings
  const brotli: BrotliOptions = { params: { [zlib.BROTLI_PARAM_QUALITY]: settings.brotliQuality } }
  const deflate: ZlibOptions = { level: settings.zlibLevel }

  function compressBuffer (encoding: string, body: Buffer): Buffer {
    if (encoding === 'br') return brotliCompressSync(body, brotli)
    if (encoding === 'gzip') return gzipSync(body, deflate)
    return deflateSync(body, deflate)
  }

  function compressStream (encoding: string): (next: Writable) => Writable {
    return (next) => {
      const stream = encoding === 'br' ? createBrotliCompress(brotli) : encoding === 'gzip' ? createGzip(deflate) : createDeflate(deflate)
      stream.on('error', () => { next.destroy() })
      stream.pipe(next)
      return stream
    }
  }

  function response (exchange: Exchange): void {
    const headers = exchange.responseHeaders
    const body = exchange.localBody
    const eligible = mayCompress({
      method: exchange.method,
      status: exchange.status,
      contentType: getHeader(headers, 'content-type'),
      contentEncoding: getHeader(headers, 'content-encoding'),
      contentLength: getHeader(headers, 'content-length'),
      contentRange: getHeader(headers, 'content-range'),
      cacheControl: getHeader(headers, 'cache-control'),
      bufferedLength: body === null || body === undefined ? undefined : body.length
    }, threshold)
    if (!eligible || body === null) return
    setHeader(headers, 'vary', varyWithAcceptEncoding(getHeader(headers, 'vary')))
    const accept = exchange.headers['accept-encoding']
    if (typeof accept !== 'string' || accept === '') return
    const encoding = negotiate(accept, encodings)
    if (encoding === null || encoding === undefined) return
    if (body !== undefined) {
      let compressed = variants?.get(body, accept)
      if (compressed === undefined) {
        compressed = { encoding, body: compressBuffer(encoding, body) }
        if (variants?.set(body, accept, compressed) === true) stats.variantsKept++
      } else {
        stats.variantsReused++
      }
      exchange.localBody = compressed.body
      setHeader(headers, 'content-encoding', compressed.encoding)
    } else {
      removeHeader(headers, 'content-length')
      setHeader(headers, 'content-encoding', encoding)
      exchange.addBodyStage(compressStream(encoding))
    }
    const etag = weakenEtag(getHeader(headers, 'etag'))
    if (etag !== undefined) setHeader(headers, 'etag', etag)
  }

  return { response }
}
