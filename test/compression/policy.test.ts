/**
 * Unit: the compression policy (what may be compressed), Vary and ETag
 * helpers, and the compressed-variant store.
 */
import t from 'tap'
import { mayCompress, varyWithAcceptEncoding, weakenEtag, type ResponseFacts } from '../../plugins/compression/policy.js'
import { CompressedVariants, MAX_VARIANTS_PER_BODY } from '../../plugins/compression/variants.js'

const base: ResponseFacts = { method: 'GET', status: 200, contentType: 'text/html; charset=utf-8', contentEncoding: undefined, contentLength: '5000', contentRange: undefined, cacheControl: undefined, bufferedLength: undefined }

t.test('mayCompress', async (t) => {
  t.equal(mayCompress(base, 1024), true)
  t.equal(mayCompress({ ...base, method: 'HEAD' }, 1024), false, 'HEAD')
  for (const status of [101, 204, 206, 304]) t.equal(mayCompress({ ...base, status }, 1024), false, `status ${status}`)
  t.equal(mayCompress({ ...base, status: 404 }, 1024), true, 'an error page may be')
  t.equal(mayCompress({ ...base, contentRange: 'bytes 0-1/2' }, 1024), false, 'Content-Range')
  t.equal(mayCompress({ ...base, contentEncoding: 'gzip' }, 1024), false, 'already encoded')
  t.equal(mayCompress({ ...base, contentEncoding: 'identity' }, 1024), true, 'identity is no encoding')
  t.equal(mayCompress({ ...base, cacheControl: 'public, no-transform' }, 1024), false, 'no-transform')
  t.equal(mayCompress({ ...base, cacheControl: 'no-transformx' }, 1024), true, 'only the whole directive counts')
  t.equal(mayCompress({ ...base, contentLength: '1023' }, 1024), false, 'under the threshold')
  t.equal(mayCompress({ ...base, contentLength: undefined }, 1024), true, 'unknown length')
  t.equal(mayCompress({ ...base, contentLength: undefined, bufferedLength: 10 }, 1024), false, 'buffered, small')
  for (const type of ['application/json', 'application/problem+json', 'application/vnd.api+json; charset=utf-8', 'text/css', 'application/javascript', 'image/svg+xml', 'application/xml']) {
    t.equal(mayCompress({ ...base, contentType: type }, 1024), true, type)
  }
  for (const type of ['text/event-stream', 'image/png', 'application/octet-stream', 'application/zip', 'video/mp4', undefined]) {
    t.equal(mayCompress({ ...base, contentType: type }, 1024), false, String(type))
  }
})

t.test('Vary and ETag', async (t) => {
  t.equal(varyWithAcceptEncoding(undefined), 'accept-encoding')
  t.equal(varyWithAcceptEncoding('Origin'), 'Origin, accept-encoding')
  t.equal(varyWithAcceptEncoding('Origin, Accept-Encoding'), 'Origin, accept-encoding', 'not twice, whatever its case')
  t.equal(varyWithAcceptEncoding('*'), '*')
  t.equal(varyWithAcceptEncoding(['a', 'b']), 'a, b, accept-encoding')
  t.equal(weakenEtag('"x"'), 'W/"x"')
  t.equal(weakenEtag('W/"x"'), 'W/"x"')
  t.equal(weakenEtag(undefined), undefined)
})

t.test('CompressedVariants', async (t) => {
  const store = new CompressedVariants(100)
  const body = Buffer.alloc(50)
  const gz = { encoding: 'gzip', body: Buffer.from('z') }
  t.equal(store.get(body, 'gzip'), undefined)
  t.equal(store.set(body, 'gzip', gz), true)
  t.equal(store.get(body, 'gzip'), gz)
  t.equal(store.get(Buffer.alloc(50), 'gzip'), undefined, 'keyed by the Buffer itself, not its bytes')
  t.equal(store.set(Buffer.alloc(101), 'gzip', gz), false, 'too large to keep')
  for (let i = 1; i < MAX_VARIANTS_PER_BODY; i++) t.equal(store.set(body, `enc-${i}`, gz), true)
  t.equal(store.set(body, 'one-too-many', gz), false, `at most ${MAX_VARIANTS_PER_BODY} per body`)
})
