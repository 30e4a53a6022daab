/** Errors of request hygiene (the gateway's own 400s). */
import createError from '@fastify/error'

export const BadPathError = createError('SWITCHYARD_BAD_PATH', 'The request path contains dot-segments', 400)
