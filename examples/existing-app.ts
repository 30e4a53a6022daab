/**
 * Switchyard's plugins inside a Fastify app you already run: your own routes
 * stay as they are, and `/api/*` is balanced over two upstream services.
 *
 *   UPSTREAM_A=http://127.0.0.1:3001 UPSTREAM_B=http://127.0.0.1:3002 \
 *     node --import tsx examples/existing-app.ts
 *
 * (The same imports work from the built package: `import { pools, proxyRoute } from 'switchyard'`.)
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { pools, proxyRoute, adminListener } from '../index.js'

export async function buildExistingApp (upstreams: string[]): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })

  // The app's own routes, untouched by the gateway plugins.
  app.get('/', async () => ({ service: 'my-app', hello: 'world' }))
  app.post('/echo', async (request) => ({ youSent: request.body }))

  // One pool of upstream targets, balanced by least connections.
  await app.register(pools, {
    pools: { api: { targets: upstreams, balancer: 'least-connections', retries: 1 } }
  })
  // Forward /api/* to it, without the /api prefix.
  await app.register(proxyRoute, { path: '/api', pool: 'api', stripPrefix: true })
  // Pools and targets on a loopback admin port.
  await app.register(adminListener, { port: 0 })
  return app
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const upstreams = [process.env.UPSTREAM_A, process.env.UPSTREAM_B].filter((u): u is string => u !== undefined)
  if (upstreams.length === 0) {
    process.stderr.write('set UPSTREAM_A (and UPSTREAM_B) to http:// origins of your services\n')
    process.exit(1)
  }
  const app = await buildExistingApp(upstreams)
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
  process.stdout.write(`listening on http://127.0.0.1:${Number(process.env.PORT ?? 3000)} (own routes: / and /echo; /api/* is proxied)\n`)
}
