import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('Expires: in the future → reused; in the past or invalid → not reused; max-age wins over Expires', async (t) => {
  const future = new Date(Date.now() + 3600_000).toUTCString()
  const past = new Date(Date.now() - 3600_000).toUTCString()
  const backend = await scriptedBackend((req, hit) => {
    if (req.url === '/future') return { headers: { expires: future }, body: `f${hit}` }
    if (req.url === '/past') return { headers: { expires: past }, body: `p${hit}` }
    if (req.url === '/invalid') return { headers: { expires: '0' }, body: `i${hit}` }
    return { headers: { expires: future, 'cache-control': 'max-age=0' }, body: `m${hit}` }
  })
  const gateway = await cachedGateway(t, backend)
  for (const path of ['/future', '/past', '/invalid', '/max-age-wins']) await send(gateway.url, path)
  const future2 = await send(gateway.url, '/future')
  t.match(future2.headers['cache-status'], /; hit/)
  t.equal(backend.hitsByPath.get('/future'), 1)
  await send(gateway.url, '/past')
  t.equal(backend.hitsByPath.get('/past'), 2, 'an Expires in the past is stale at once')
  await send(gateway.url, '/invalid')
  t.equal(backend.hitsByPath.get('/invalid'), 2, 'Expires: 0 means already expired')
  await send(gateway.url, '/max-age-wins')
  t.equal(backend.hitsByPath.get('/max-age-wins'), 2, 'max-age=0 overrides a future Expires')
})
