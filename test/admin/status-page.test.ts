/**
 * The status page in a real browser (headless Chromium): against a gateway
 * with two pools and one target down, it shows both pools and the down
 * target with its reason, updates a counter after traffic without a reload,
 * its drain button drains, and nothing breaks its strict CSP. The token is
 * given as the HTTP Basic password, as a browser prompts for it.
 * `SCREENSHOT=path` also saves a screenshot (docs/status-page.png is made so).
 */
import t from 'tap'
import { startBackend } from '../helpers/backend.js'
import { startAppGateway, writeConfigFile } from '../helpers/gateway.js'
import { launchChromium } from '../helpers/browser.js'
import { adminAddress } from '../../plugins/admin/index.js'

const TOKEN = 'page-t0ken'

t.test('two pools, one target down: shown, live, and drainable', async (t) => {
  const a1 = await startBackend('a1')
  const a2 = await startBackend('a2', (req, res) => { req.resume(); res.statusCode = req.url === '/health' ? 503 : 200; res.end('{}') })
  const w1 = await startBackend('w1')
  const path = writeConfigFile({
    pools: {
      api: { targets: [a1.url, a2.url], health: { path: '/health', intervalMs: 100, unhealthyThreshold: 1, healthyThreshold: 1 }, sticky: { cookie: 'sy_api' } },
      web: { targets: [w1.url] }
    },
    routes: [{ path: '/api', pool: 'api', stripPrefix: true }, { path: '/', pool: 'web', rateLimit: { max: 1000, windowMs: 60000 } }]
  })
  const gw = await startAppGateway({ GATEWAY_CONFIG: path, GATEWAY_ADMIN_TOKEN: TOKEN })
  const chromium = await launchChromium()
  t.teardown(async () => { await chromium.close(); await gw.close(); for (const b of [a1, a2, w1]) await b.stop() })
  const api = gw.app.switchyard.pools.get('api')
  const [up, down] = api?.targets ?? []
  if (up === undefined || down === undefined) throw new Error('no targets')
  const deadline = Date.now() + 5000
  while (down.healthy && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
  t.notOk(down.healthy, 'a2 is down before the page opens')

  const page = await chromium.browser.newPage()
  const problems: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()) })
  page.on('pageerror', (err) => { problems.push(String(err)) })
  await page.authenticate({ username: 'admin', password: TOKEN })
  await page.setViewport({ width: 1360, height: 720 })
  const response = await page.goto(adminAddress(gw.app) + '/')
  t.equal(response?.status(), 200)
  t.match(response?.headers()['content-security-policy'], /script-src 'nonce-[^']+'/, 'a strict CSP with a nonce')
  await page.evaluate('window.marker = 42')

  t.same(await page.$$eval('section.pool h2', (hs) => hs.map((h) => h.firstChild?.textContent?.trim())), ['api', 'web'], 'both pools are shown')
  const downRow = `tr[data-target="${down.id}"]`
  t.equal(await page.$eval(`${downRow} .state`, (e) => e.textContent), 'down', 'the down target is marked down')
  t.match(await page.$eval(`${downRow} td.why`, (e) => e.textContent), /health check failed 1 times: status 503/, 'with its reason')
  t.ok(await page.$eval(downRow, (e) => e.classList.contains('down')), 'and coloured as down')
  t.equal(await page.$eval(`tr[data-target="${up.id}"] .state`, (e) => e.textContent), 'up')

  const requestsCell = `tr[data-target="${up.id}"] td.requests`
  t.equal(await page.$eval(requestsCell, (e) => e.textContent), '0', 'no request yet')
  for (let i = 0; i < 3; i++) await (await fetch(`${gw.url}/api/x`)).text()
  await page.waitForFunction(`document.querySelector(${JSON.stringify(requestsCell)})?.textContent === '3'`, { timeout: 10_000 })
  t.pass('the requests counter went to 3 without a reload')
  t.equal(await page.evaluate('window.marker'), 42, 'same document: no reload happened')

  if (process.env.SCREENSHOT !== undefined) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true })

  await page.click(`tr[data-target="${up.id}"] button[data-action="drain"]`)
  await page.waitForFunction(`document.querySelector('tr[data-target="${up.id}"] .state')?.textContent === 'draining'`, { timeout: 10_000 })
  t.ok(up.draining, 'the drain button drained the target')
  t.match(up.reason, /draining \(admin API\)/)
  t.ok(await page.$(`tr[data-target="${up.id}"] button[data-action="undrain"]`), 'and now offers undrain')
  t.same(problems, [], 'no script error and no CSP violation')
})
