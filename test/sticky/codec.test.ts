/**
 * StickyCookieCodec: signed, opaque values that verify only under the same
 * secret and binding, and expire with maxAgeSeconds.
 */
import t from 'tap'
import { StickyCookieCodec, MAX_CLOCK_SKEW_SECONDS } from '../../plugins/sticky/codec.js'

const SECRET = 'a-secret-of-more-than-16-bytes'
const NOW = Date.UTC(2025, 0, 1)

t.test('round trip: the value names the target id and its issue time', async (t) => {
  const codec = new StickyCookieCodec({ secret: SECRET, binding: 'api' })
  const value = codec.encode('3f2a9c01be77', NOW)
  t.match(value, /^[A-Za-z0-9_-]+$/, 'base64url, no padding')
  t.same(codec.decode(value, NOW + 5000), { targetId: '3f2a9c01be77', issuedAt: NOW / 1000 })
  t.same(new StickyCookieCodec({ secret: Buffer.from(SECRET), binding: 'api' }).decode(value, NOW)?.targetId, '3f2a9c01be77', 'same key as a Buffer')
})

t.test('every single-character change of a value is rejected', async (t) => {
  const codec = new StickyCookieCodec({ secret: SECRET, binding: 'api' })
  const value = codec.encode('target-1', NOW)
  let accepted = 0
  for (let i = 0; i < value.length; i++) {
    for (const c of ['A', 'f', '0', '_', '-']) {
      if (value[i] === c) continue
      const tampered = value.slice(0, i) + c + value.slice(i + 1)
      if (codec.decode(tampered, NOW) !== undefined) accepted++
    }
  }
  t.equal(accepted, 0)
  t.equal(codec.decode(value.slice(0, -1), NOW), undefined, 'truncated')
  t.equal(codec.decode(value + 'A', NOW), undefined, 'extended')
})

t.test('another secret or another binding does not verify', async (t) => {
  const value = new StickyCookieCodec({ secret: SECRET, binding: 'api' }).encode('target-1', NOW)
  t.equal(new StickyCookieCodec({ secret: SECRET + 'x', binding: 'api' }).decode(value, NOW), undefined, 'other secret')
  t.equal(new StickyCookieCodec({ secret: SECRET, binding: 'web' }).decode(value, NOW), undefined, 'other pool')
  t.equal(new StickyCookieCodec({ secret: SECRET, binding: 'ap' }).decode(value, NOW), undefined, 'binding prefix')
})

t.test('a forged value with a valid layout but a made-up MAC is rejected', async (t) => {
  const codec = new StickyCookieCodec({ secret: SECRET, binding: 'api' })
  const bytes = Buffer.alloc(5 + 8 + 32)
  bytes[0] = 1
  bytes.writeUInt32BE(NOW / 1000, 1)
  bytes.write('target-1', 5, 'latin1')
  t.equal(codec.decode(bytes.toString('base64url'), NOW), undefined)
})

t.test('malformed values are rejected without throwing', async (t) => {
  const codec = new StickyCookieCodec({ secret: SECRET, binding: 'api' })
  for (const value of ['', 'x', '%%%%', 'a'.repeat(60) + '=', 'a b', 'Zm9v', 'A'.repeat(500), '"' + 'A'.repeat(60) + '"']) {
    t.equal(codec.decode(value, NOW), undefined, JSON.stringify(value.slice(0, 20)))
  }
  const good = codec.encode('target-1', NOW)
  const bytes = Buffer.from(good, 'base64url')
  bytes[0] = 2
  t.equal(codec.decode(bytes.toString('base64url'), NOW), undefined, 'unknown version')
})

t.test('maxAgeSeconds: honoured until its age, rejected after; future issue times beyond the skew rejected', async (t) => {
  const codec = new StickyCookieCodec({ secret: SECRET, binding: 'api', maxAgeSeconds: 60 })
  const value = codec.encode('target-1', NOW)
  t.ok(codec.decode(value, NOW + 60_000), 'at max age')
  t.equal(codec.decode(value, NOW + 61_000), undefined, 'past max age')
  const session = new StickyCookieCodec({ secret: SECRET, binding: 'api' })
  t.ok(session.decode(session.encode('target-1', NOW), NOW + 30 * 86_400_000), 'no max age: a session value does not expire')
  t.ok(codec.decode(value, NOW - (MAX_CLOCK_SKEW_SECONDS - 1) * 1000), 'issued slightly in the future (clock skew)')
  t.equal(codec.decode(value, NOW - (MAX_CLOCK_SKEW_SECONDS + 5) * 1000), undefined, 'issued far in the future')
})

t.test('bad inputs to the codec are refused', async (t) => {
  t.throws(() => new StickyCookieCodec({ secret: 'short', binding: 'api' }), /at least 16 bytes/)
  const codec = new StickyCookieCodec({ secret: SECRET, binding: 'api' })
  t.throws(() => codec.encode('', NOW), /target id/)
  t.throws(() => codec.encode('x'.repeat(65), NOW), /target id/)
  t.throws(() => codec.encode('a b', NOW), /target id/)
})

t.test('values of one target differ by issue time; ids of 64 chars fit', async (t) => {
  const codec = new StickyCookieCodec({ secret: SECRET, binding: 'api' })
  t.not(codec.encode('t', NOW), codec.encode('t', NOW + 1000))
  const long = 'x'.repeat(64)
  t.equal(codec.decode(codec.encode(long, NOW), NOW)?.targetId, long)
})
