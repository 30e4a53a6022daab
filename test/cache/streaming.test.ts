import t from 'tap'
import { request } from 'node:http'
import { startBackend } from '../helpers/backend.js'
import { cachedGateway, send, sleep } from '../helpers/cache.js'

t.test('the body streams to the client while being stored; an upstream dying mid-body leaves no entry', async (t) => {
  let mode: 'slow' | 'die' = 'slow'
  const backend = await startBackend('origin', (req, res) => {
    req.resume()
    res.writeHead(200, { 'cache-control': 'max-age=3600', 'content-type': 'text/plain' })
    res.write('first-chunk;')
    if (mode === 'die') {
      setTimeout(() => { res.socket?.destroy() }, 100)
      return
    }
    setTimeout(() => { res.end('second-chunk') }, 2000)
  })
  const gateway = await cachedGateway(t, backend)
  const firstByteMs = await new Promise<number>((resolve, reject) => {
    const started = Date.now()
    request(gateway.url + '/stream', { agent: false }, (res) => {
      res.once('data', () => { resolve(Date.now() - started); res.resume() })
    }).on('error', reject).end()
  })
  t.ok(firstByteMs < 1500, `first byte after ${firstByteMs} ms, before the backend finished (2000 ms)`)
  await sleep(2300)
  const hit = await send(gateway.url, '/stream')
  t.equal(hit.body, 'first-chunk;second-chunk')
  t.match(hit.headers['cache-status'], /; hit/)

  mode = 'die'
  const cut = await new Promise<string>((resolve) => {
    request(gateway.url + '/cut', { agent: false }, (res) => {
      res.on('data', () => {})
      res.on('end', () => resolve('end'))
      res.on('error', () => resolve('error'))
      res.on('aborted', () => resolve('aborted'))
    }).on('error', () => resolve('error')).end()
  })
  t.not(cut, 'end', `the client saw the response cut short (${cut})`)
  await sleep(100)
  const hits = backend.hitsByPath.get('/cut')
  await new Promise<void>((resolve) => {
    request(gateway.url + '/cut', { agent: false }, (res) => {
      t.match(String(res.headers['cache-status']), /fwd=miss/, 'nothing truncated was stored')
      res.destroy()
      resolve()
    }).on('error', () => resolve()).end()
  })
  t.equal(backend.hitsByPath.get('/cut'), (hits ?? 0) + 1)
})
