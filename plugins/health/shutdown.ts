/**
 * Draining client connections on close. `server.close()` stops accepting and
 * closes the connections idle at that moment, but a keep-alive connection
 * whose response finishes later would stay open until its keep-alive timeout
 * and hold the shutdown. While the app closes, idle connections are closed
 * every `everyMs`, so each one goes as soon as its in-flight request is done.
 */
import type { FastifyInstance } from 'fastify'

/** How often idle client connections are closed during shutdown. */
export const DEFAULT_DRAIN_POLL_MS = 50

export function closeIdleConnectionsOnClose (fastify: FastifyInstance, everyMs = DEFAULT_DRAIN_POLL_MS): void {
  let timer: NodeJS.Timeout | undefined
  fastify.addHook('preClose', (done) => {
    const server = fastify.server as { closeIdleConnections?: () => void }
    if (typeof server.closeIdleConnections === 'function') {
      timer = setInterval(() => { server.closeIdleConnections?.() }, everyMs)
      timer.unref()
    }
    done()
  })
  fastify.addHook('onClose', (_instance, done) => {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
    done()
  })
}
