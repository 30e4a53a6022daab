/**
 * `switchyard-compression`: compression of what the gateway sends. On
 * gateway routes it is the chain's `compression` response filter (link.ts,
 * with the settings decided here); on an app's own routes it is
 * @fastify/compress, gated by the same policy, as below.
 *
 * @fastify/compress adds its onSend hook to every route declared after it;
 * this plugin wraps that hook with the gateway's policy (policy.ts: no
 * ranges, event streams, already-encoded bodies, `no-transform`, small or
 * bodyless responses), adds `Vary: accept-encoding` to every response whose
 * encoding depends on the request, weakens strong ETags of compressed bodies,
 * and keeps the compressed variants of in-memory bodies (variants.ts) so a
 * cached entry is not compressed again on every hit. Request bodies are never
 * decompressed: they go to the backend as the client sent them.
 *
 * Reads the reply's headers and payload; writes `Content-Encoding`, `Vary`,
 * `Content-Length`, `ETag`. Register before the routes.
 */
import { constants as zlibConstants } from 'node:zlib'
import fp from 'fastify-plugin'
import fastifyCompress from '@fastify/compress'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import { ConfigError } from '../../lib/validate.js'
import { COMPRESSIBLE_TYPES, DEFAULT_BROTLI_QUALITY, DEFAULT_ZLIB_LEVEL, DEFAULT_ENCODINGS, DEFAULT_THRESHOLD, mayCompress, varyWithAcceptEncoding, weakenEtag, type Encoding } from './policy.js'
import { CompressedVariants } from './variants.js'
import type { CompressionSettings } from './link.js'

/** In-memory bodies up to this size are compressed in one go and their variants kept. */
export const DEFAULT_MAX_VARIANT_BYTES = 1024 * 1024

export interface CompressionOptions {
  /** Bodies smaller than this many bytes are not compressed. Default 1024. */
  threshold?: number
  /** Encodings offered, in order of preference on ties. Default `['br', 'gzip', 'deflate']`. */
  encodings?: Encoding[]
  /** Brotli quality 0-11 for dynamic compression. Default 2 (faster than 4 and as small on typical JSON/HTML). */
  brotliQuality?: number
  /** gzip/deflate level 1-9. Default 1 (nginx's default: a third faster than zlib's 6, ~10 % larger). */
  zlibLevel?: number
  /**
   * Keep compressed variants of in-memory (Buffer) bodies up to this size,
   * keyed by the Buffer: a cache hit that sends the same Buffer again is not
   * compressed again. 0 turns it off. Bodies sent as Buffers must then not be
   * changed in place after they are sent. Default 1 MiB.
   */
  maxVariantBytes?: number
}

/** Counters of the compressed-variant store (for /metrics and tests). */
export interface CompressionStats {
  /** In-memory bodies compressed and kept. */
  variantsKept: number
  /** Responses served from a kept variant (no compression work). */
  variantsReused: number
}

declare module 'fastify' {
  interface FastifyInstance {
    switchyardCompression: CompressionStats
    switchyardCompressionSettings: CompressionSettings
  }
}

type Payload = unknown
type OnSendDone = (err: Error | null, payload?: Payload) => void
type OnSend = (this: unknown, request: FastifyRequest, reply: FastifyReply, payload: Payload, done: OnSendDone) => void

const compressionPlugin: FastifyPluginAsync<CompressionOptions> = async (fastify, options) => {
  const threshold = integerOption(options.threshold, 'threshold', DEFAULT_THRESHOLD, 0, Number.MAX_SAFE_INTEGER)
  const brotliQuality = integerOption(options.brotliQuality, 'brotliQuality', DEFAULT_BROTLI_QUALITY, 0, 11)
  const zlibLevel = integerOption(options.zlibLevel, 'zlibLevel', DEFAULT_ZLIB_LEVEL, 1, 9)
  const maxVariantBytes = integerOption(options.maxVariantBytes, 'maxVariantBytes', DEFAULT_MAX_VARIANT_BYTES, 0, 64 * 1024 * 1024)
  const encodings = options.encodings ?? [...DEFAULT_ENCODINGS]
  if (!Array.isArray(encodings) || encodings.length === 0 || encodings.some((e) => !DEFAULT_ENCODINGS.includes(e))) {
    throw new ConfigError('encodings', `must list some of ${DEFAULT_ENCODINGS.join(', ')}, got ${JSON.stringify(encodings)}`)
  }
  const variants = maxVariantBytes > 0 ? new CompressedVariants(maxVariantBytes) : undefined
  const stats: CompressionStats = { variantsKept: 0, variantsReused: 0 }
  fastify.decorate('switchyardCompression', stats)
  // Gateway routes compress in the chain's response filter (link.ts) with the same settings.
  const settings: CompressionSettings = { threshold, encodings: [...encodings], brotliQuality, zlibLevel, variants, stats }
  fastify.decorate('switchyardCompressionSettings', settings)

  await fastify.register(fastifyCompress, {
    global: true,
    globalDecompression: false,
    threshold,
    encodings: [...encodings, 'identity'],
    customTypes: COMPRESSIBLE_TYPES,
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: brotliQuality } },
    zlibOptions: { level: zlibLevel },
    // In-memory bodies up to this size are compressed synchronously, which is
    // what lets us keep their variant (a stream result can't be kept).
    ...(maxVariantBytes > 0 ? { syncThreshold: maxVariantBytes } : {})
  })

  // Runs after @fastify/compress's own onRoute hook: its onSend is the last one.
  fastify.addHook('onRoute', (routeOptions) => {
    if ((routeOptions as { compress?: unknown }).compress === false) return
    const onSend = routeOptions.onSend
    if (!Array.isArray(onSend) || onSend.length === 0) return
    const compressOnSend = onSend[onSend.length - 1] as unknown as OnSend
    if (compressOnSend.name !== 'onSend') return
    onSend[onSend.length - 1] = gate(compressOnSend) as unknown as onSendHookHandler
  })

  function gate (compressOnSend: OnSend): OnSend {
    return function gatedCompression (this: unknown, request, reply, payload, done) {
      if (payload === null || payload === undefined) { done(null, payload); return }
      const buffered = Buffer.isBuffer(payload) ? payload : typeof payload === 'string' ? undefined : null
      const eligible = mayCompress({
        method: request.method,
        status: reply.statusCode,
        contentType: reply.getHeader('content-type'),
        contentEncoding: reply.getHeader('content-encoding'),
        contentLength: reply.getHeader('content-length'),
        contentRange: reply.getHeader('content-range'),
        cacheControl: reply.getHeader('cache-control'),
        bufferedLength: buffered === null ? undefined : Buffer.byteLength(payload as string | Buffer)
      }, threshold)
      if (!eligible) { done(null, payload); return }
      reply.header('vary', varyWithAcceptEncoding(reply.getHeader('vary')))

      const acceptEncoding = request.headers['accept-encoding']
      if (buffered instanceof Buffer && variants !== undefined && typeof acceptEncoding === 'string') {
        const kept = variants.get(buffered, acceptEncoding)
        if (kept !== undefined) {
          stats.variantsReused++
          reply.header('content-encoding', kept.encoding)
          reply.header('content-length', kept.body.length)
          weaken(reply)
          done(null, kept.body)
          return
        }
        compressOnSend.call(this, request, reply, payload, (err, out) => {
          const encoding = reply.getHeader('content-encoding')
          if (err === null && Buffer.isBuffer(out) && out !== buffered && typeof encoding === 'string' && encoding !== 'identity') {
            if (variants.set(buffered, acceptEncoding, { encoding, body: out })) stats.variantsKept++
          }
          if (err === null) weaken(reply)
          done(err, out)
        })
        return
      }
      compressOnSend.call(this, request, reply, payload, (err, out) => {
        if (err === null) weaken(reply)
        done(err, out)
      })
    }
  }
}

/** After compression: a strong ETag would claim the compressed bytes equal the identity ones. */
function weaken (reply: FastifyReply): void {
  const encoding = reply.getHeader('content-encoding')
  if (encoding === undefined || encoding === 'identity') return
  const etag = weakenEtag(reply.getHeader('etag'))
  if (etag !== undefined) reply.header('etag', etag)
}

function integerOption (value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
  }
  return value
}

/** Register before the routes: `app.register(compression, { threshold: 1024 })`. */
export const compression = fp(compressionPlugin, {
  fastify: '5.x',
  name: 'switchyard-compression'
})
export default compression
export { mayCompress, varyWithAcceptEncoding, weakenEtag, COMPRESSIBLE_TYPES, DEFAULT_THRESHOLD, DEFAULT_BROTLI_QUALITY, DEFAULT_ENCODINGS, type Encoding, type ResponseFacts } from './policy.js'
export { CompressedVariants, type Variant } from './variants.js'
export { createCompressionLink, type CompressionSettings } from './link.js'
