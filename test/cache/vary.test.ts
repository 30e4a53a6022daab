import t from 'tap'
import { cachedGateway, scriptedBackend, send } from '../helpers/cache.js'

t.test('Vary: one stored response per variant; Vary: * is never stored', async (t) => {
  const backend = await scriptedBackend((req, hit) => req.url === '/star'
    ? { headers: { 'cache-control': 'max-age=3600', vary: '*' }, body: `s${hit}` }
    : { headers: { 'cache-control': 'max-age=3600', vary: 'Accept-Language' }, body: `${String(req.headers['accept-language'])}-${hit}` })
  const gateway = await cachedGateway(t, backend)
  const en = { 'accept-language': 'en' }
  const de = { 'accept-language': 'de' }
  t.equal((await send(gateway.url, '/v', { headers: en })).body, 'en-1')
  const deMiss = await send(gateway.url, '/v', { headers: de })
  t.equal(deMiss.body, 'de-2', 'another language is not served the English variant')
  t.match(deMiss.headers['cache-status'], /fwd=vary-miss/)
  t.equal((await send(gateway.url, '/v', { headers: en })).body, 'en-1')
  t.equal((await send(gateway.url, '/v', { headers: de })).body, 'de-2')
  t.equal(backend.hitsByPath.get('/v'), 2)
  await send(gateway.url, '/star')
  const star = await send(gateway.url, '/star')
  t.match(star.headers['cache-status'], /detail=vary-star/)
  t.equal(backend.hitsByPath.get('/star'), 2)
})
