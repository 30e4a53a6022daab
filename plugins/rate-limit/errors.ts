/** The rate limiter's own error (429). */
import createError from '@fastify/error'

export const RateLimitedError = createError('SWITCHYARD_RATE_LIMITED', 'Too many requests, retry later', 429)
