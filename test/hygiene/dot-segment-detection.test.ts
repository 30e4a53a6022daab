/**
 * Unit test of `hasDotSegment` (plugins/request-hygiene/path.ts): every
 * spelling of a dot-segment is caught, ordinary paths are not.
 */
import t from 'tap'
import { hasDotSegment } from '../../plugins/request-hygiene/index.js'

t.test('dot-segments in any spelling', async (t) => {
  for (const url of [
    '/..', '/.', '/a/..', '/a/../b', '/a/./b', '/a/%2e%2e/b', '/a/%2E%2E/b', '/a/%2e./b', '/a/.%2E/b',
    '/a/..%2fb', '/a/..%2F..%2Fb', '/a/..%5cb', '/a/..\\b', '/a\\..\\b', '/a/%252e%252e/b', '/a/%25252e%25252e/b',
    '/a/%2e%2e', '/a/%00', '/a/%2e%2e?x=1', '/a/..;/b', '/a/..;x=1/b', '/a/.;/b', '/a/%2e%2e;/b', '/a/..%3b/b', '/..;'
  ]) {
    t.equal(hasDotSegment(url), true, url)
  }
})

t.test('ordinary paths', async (t) => {
  for (const url of [
    '/', '/a/b', '/a.b/c.d', '/.well-known/acme', '/a/...', '/a/..b', '/a/b..', '/a/%2fb', '/a/%20b', '/a/%zz',
    '/a?x=../..', '/a?next=%2e%2e', '/%E2%9C%93', '/a/.hidden',
    '/a/b;jsessionid=1', '/a/...;x', '/a/.x;y', '/a/;/b', '/a?x=..;'
  ]) {
    t.equal(hasDotSegment(url), false, url)
  }
})
