/**
 * The hygiene env vars: defaults, and bad values refused with the variable's name.
 */
import t from 'tap'
import { readEnv } from '../../config/env.js'

t.test('defaults', async (t) => {
  const env = readEnv({})
  t.equal(env.maxHeaderBytes, 16384)
  t.equal(env.bodyLimitBytes, 10 * 1024 * 1024)
  t.equal(env.headersTimeoutMs, 10000)
  t.equal(env.requestTimeoutMs, 300000)
  t.equal(env.keepAliveTimeoutMs, 72000)
})

t.test('bad values name the variable', async (t) => {
  t.throws(() => readEnv({ GATEWAY_MAX_HEADER_BYTES: '12k' }), /GATEWAY_MAX_HEADER_BYTES must be an integer/)
  t.throws(() => readEnv({ GATEWAY_BODY_LIMIT_BYTES: '-1' }), /GATEWAY_BODY_LIMIT_BYTES must be an integer/)
  t.throws(() => readEnv({ GATEWAY_HEADERS_TIMEOUT_MS: '5000', GATEWAY_REQUEST_TIMEOUT_MS: '1000' }), /GATEWAY_REQUEST_TIMEOUT_MS must be 0 or at least GATEWAY_HEADERS_TIMEOUT_MS/)
  t.equal(readEnv({ GATEWAY_REQUEST_TIMEOUT_MS: '0' }).requestTimeoutMs, 0, '0 turns the whole-request timeout off')
  t.throws(() => readEnv({ GATEWAY_KEEPALIVE_TIMEOUT_MS: '0' }), /GATEWAY_KEEPALIVE_TIMEOUT_MS must be an integer from 1/)
})
