/**
 * The status page (admin `GET /`): the `/status` document as HTML for
 * people. Rendered on the server, so it reads without JavaScript; a small
 * inline script (allowed by the CSP's nonce) then fetches `/status` every
 * `REFRESH_MS` (a 304 when nothing changed) and re-renders with the very same
 * function: `renderSections` is self-contained (no imports, no outer names),
 * so its source is shipped into the page as it is. No external assets.
 */

/** How often the open page polls `/status`. */
export const REFRESH_MS = 2500

/** The parts of the `/status` document the page shows; every section but `pools` is optional. */
export interface StatusDocument {
  configVersion?: number
  loadedAt?: string
  pools: Array<Record<string, unknown>>
  /** Routes with their counters (the core's route table). */
  routes?: Array<Record<string, unknown>>
  /** Routes as configured (settings: strip prefix, cache, rate limit, methods); shown alone when `routes` is absent. */
  configuredRoutes?: Array<Record<string, unknown>>
  l4?: unknown
  cache?: Record<string, unknown>
}

/** A snapshot kept by the page, to turn counters into rates. */
export interface PreviousSnapshot { at: number, status: StatusDocument }

/**
 * The page's body sections for `status` at `now` (epoch ms). Self-contained:
 * its source runs in the browser too.
 */
export function renderSections (status: StatusDocument, now: number, previous?: PreviousSnapshot): string {
  type Row = Record<string, unknown>
  const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } as Record<string, string>)[c] ?? c)
  const num = (v: unknown): number => typeof v === 'number' && Number.isFinite(v) ? v : 0
  const int = (v: unknown): string => typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : '—'
  const ago = (iso: unknown): string => {
    if (typeof iso !== 'string') return '—'
    const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
    if (s < 60) return `${s}s`
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
    return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`
  }
  const when = (iso: unknown): string => typeof iso === 'string' ? `<time datetime="${esc(iso)}" title="${esc(iso)}">${ago(iso)} ago</time>` : '—'
  const pct = (part: number, whole: number): string => whole > 0 ? `${(100 * part / whole).toFixed(part / whole < 0.1 ? 1 : 0)}%` : '—'
  const STATE: Record<string, [string, string]> = { healthy: ['up', 'up'], unhealthy: ['down', 'down'], ejected: ['ejected', 'ejected'], draining: ['draining', 'draining'] }
  const rate = (key: string, current: unknown, keyOf: (r: Row) => string, list: (s: StatusDocument) => Row[] | undefined, field: string): string => {
    if (previous === undefined || typeof current !== 'number') return '—'
    const before = (list(previous.status) ?? []).find((r) => keyOf(r) === key)
    const seconds = (now - previous.at) / 1000
    if (before === undefined || typeof before[field] !== 'number' || seconds <= 0) return '—'
    return (Math.max(0, current - (before[field] as number)) / seconds).toFixed(1)
  }

  /** One table cell; `label` is shown before it on narrow screens, where rows become cards. */
  const td = (label: string, content: string, cls = ''): string => `<td${cls !== '' ? ` class="${cls}"` : ''} data-label="${label}">${content}</td>`
  const head = (labels: Array<[string, boolean]>): string => '<thead><tr>' + labels.map(([l, n]) => `<th${n ? ' class="n"' : ''}>${l}</th>`).join('') + '</tr></thead>'

  const out: string[] = []
  const pools = status.pools as Row[]
  let up = 0
  let total = 0
  for (const pool of pools) for (const target of (pool.targets as Row[] | undefined) ?? []) { total++; if (target.condition === 'healthy') up++ }
  out.push('<section class="summary">')
  out.push(`<div><b>${pools.length}</b> pool${pools.length === 1 ? '' : 's'}</div>`)
  out.push(`<div class="${up === total ? 'ok' : up === 0 ? 'bad' : 'warn'}"><b>${up}/${total}</b> targets up</div>`)
  if (status.configVersion !== undefined) out.push(`<div>config <b>v${esc(status.configVersion)}</b>, loaded ${when(status.loadedAt)}</div>`)
  out.push('</section>')

  for (const pool of pools) {
    const targets = (pool.targets as Row[] | undefined) ?? []
    const poolUp = targets.filter((t) => t.condition === 'healthy').length
    out.push(`<section class="pool" data-pool="${esc(pool.name)}"><h2>${esc(pool.name)} <small>${esc(pool.balancer)} · ${poolUp}/${targets.length} up</small></h2>`)
    const sticky = pool.sticky as Row | undefined
    if (sticky !== undefined) {
      out.push(`<p class="meta">sticky cookie <code>${esc(sticky.cookie)}</code>: ${int(sticky.pins)} pins, ${int(sticky.hits)} pinned hits, ${int(sticky.repins)} re-pins, ${int(sticky.rejected)} rejected</p>`)
    }
    for (const host of (pool.hosts as Row[] | undefined) ?? []) {
      const addresses = (host.addresses as string[] | undefined) ?? []
      out.push(`<p class="meta">host <code>${esc(host.hostname)}</code> → ${addresses.map((a) => `<code>${esc(a)}</code>`).join(' ') || '<i>no address</i>'}, resolved ${when(host.resolvedAt)}${host.error !== null && host.error !== undefined ? ` <span class="bad">lookup failing: ${esc(host.error)}</span>` : ''}</p>`)
    }
    out.push('<div class="scroll"><table class="cards">' + head([['state', false], ['target', false], ['why', false], ['wt', true], ['in-flight', true], ['req', true], ['req/s', true],
      ['2xx', true], ['3xx', true], ['4xx', true], ['5xx', true], ['fail', true], ['err', true], ['latency', true], ['last check', false], ['ejected', true], ['', false]]) + '<tbody>')
    for (const t of targets) {
      const [label, cls] = STATE[String(t.condition)] ?? [String(t.condition), 'unknown']
      const responses = (t.responses as Row | undefined) ?? {}
      const requests = num(t.requests)
      const errors = num(t.failures) + num(responses['5xx'])
      const check = t.lastCheckAt === null || t.lastCheckAt === undefined
        ? '—'
        : `<span class="${t.lastCheckResult === 'ok' ? 'ok' : 'bad'}">${esc(t.lastCheckResult)}</span> ${when(t.lastCheckAt)}`
      const host = t.hostName !== null && t.hostName !== undefined ? ` <small>(${esc(t.host)})</small>` : ''
      const poolKey = `${String(pool.name)}/`
      const reqRate = rate(poolKey + String(t.id), t.requests, (r) => String(r.pool) + '/' + String(r.id),
        (s) => (s.pools as Row[]).flatMap((p) => ((p.targets as Row[] | undefined) ?? []).map((x) => ({ ...x, pool: p.name }))), 'requests')
      const action = t.draining === true ? 'undrain' : 'drain'
      out.push(`<tr class="${cls}" data-target="${esc(t.id)}">` +
        td('state', `<span class="state ${cls}">${esc(label)}</span> <small>${ago(t.since)}</small>`, 'st') +
        td('target', `<span class="url">${esc(t.url)}</span>${host}<br><code>${esc(t.id)}</code>`, 'tg') +
        td('why', `${esc(t.reason)} <small>since ${when(t.since)}</small>`, 'why') +
        td('weight', int(t.weight), 'n') + td('in-flight', int(t.inFlight), 'n') + td('requests', int(t.requests), 'n requests') + td('req/s', reqRate, 'n') +
        td('2xx', int(responses['2xx']), 'n') + td('3xx', int(responses['3xx']), 'n') + td('4xx', int(responses['4xx']), 'n') +
        td('5xx', int(responses['5xx']), num(responses['5xx']) > 0 ? 'n bad' : 'n') + td('failures', int(t.failures), num(t.failures) > 0 ? 'n bad' : 'n') +
        td('errors', pct(errors, requests), 'n') + td('latency', typeof t.latencyEwmaMs === 'number' && requests > 0 ? `${t.latencyEwmaMs.toFixed(1)} ms` : '—', 'n') +
        td('last check', check, 'chk') + td('ejections', int(t.ejections), 'n') +
        td('', `<button type="button" data-action="${action}" data-pool="${esc(pool.name)}" data-id="${esc(t.id)}">${action}</button>`, 'act') + '</tr>')
    }
    out.push('</tbody></table></div></section>')
  }

  const pathOf = (r: Row): string => { const p = String(r.path ?? r.prefix ?? ''); return p.length > 1 ? p.replace(/\/$/, '') : p }
  const configured = status.configuredRoutes ?? []
  const routes = (status.routes ?? configured).map((r) => ({ ...configured.find((c) => pathOf(c) === pathOf(r)), ...r }))
  if (routes.length > 0) {
    out.push('<section><h2>routes</h2><div class="scroll"><table class="cards">' + head([['path', false], ['pool', false], ['req', true], ['req/s', true], ['cache hits', true], ['rate-limited', true], ['settings', false]]) + '<tbody>')
    for (const r of routes) {
      const ratio = typeof r.cacheLookups === 'number' && r.cacheLookups > 0 ? `${pct(num(r.cacheHits), r.cacheLookups)} <small>of ${int(r.cacheLookups)}</small>` : '—'
      const perSecond = rate(pathOf(r), r.requests, pathOf, (s) => s.routes, 'requests')
      const settings: string[] = []
      if (r.stripPrefix === true) settings.push('strip prefix')
      if (r.cache !== undefined && r.cache !== false) settings.push('cache')
      const limit = r.rateLimit as Row | undefined
      if (limit !== undefined && limit !== null) settings.push(`limit ${esc(limit.max)}/${Math.round(num(limit.windowMs) / 1000)}s`)
      if (Array.isArray(r.methods)) settings.push((r.methods as string[]).map(esc).join(' '))
      out.push('<tr>' + td('path', `<code>${esc(pathOf(r))}</code>`, 'tg') + td('pool', esc(r.pool)) + td('requests', int(r.requests), 'n') + td('req/s', perSecond, 'n') +
        td('cache hits', ratio, 'n') + td('rate-limited', int(r.rateLimited), 'n') + td('settings', settings.join(', ') || '—') + '</tr>')
    }
    out.push('</tbody></table></div></section>')
  }

  const l4 = Array.isArray(status.l4) ? status.l4 as Row[] : ((status.l4 as Row | undefined)?.listeners as Row[] | undefined)
  if (l4 !== undefined && l4.length > 0) {
    const columns: string[] = []
    for (const listener of l4) for (const [k, v] of Object.entries(listener)) if ((typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') && !columns.includes(k)) columns.push(k)
    out.push('<section><h2>L4 listeners</h2><div class="scroll"><table class="cards">' + head(columns.map((c) => [esc(c), typeof l4[0]?.[c] === 'number'])) + '<tbody>')
    for (const listener of l4) {
      out.push('<tr>' + columns.map((c) => typeof listener[c] === 'number' ? td(esc(c), int(listener[c]), 'n') : td(esc(c), esc(listener[c] ?? '—'))).join('') + '</tr>')
    }
    out.push('</tbody></table></div></section>')
  }

  if (status.cache !== undefined) {
    out.push('<section><h2>cache</h2><form class="purge" data-action="purge"><label>purge URL prefix <input name="prefix" type="url" required placeholder="https://example.com/api/"></label> <button type="submit">purge</button></form></section>')
  }
  return out.join('\n')
}

const STYLE = `
:root{--bg:#f6f7f9;--fg:#1b1f24;--muted:#5f6b7a;--line:#dde1e6;--card:#fff;--up:#1a7f37;--down:#cf222e;--ej:#bc4c00;--dr:#0550ae}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8b949e;--line:#30363d;--card:#161b22;--up:#3fb950;--down:#f85149;--ej:#db6d28;--dr:#58a6ff}}
*{box-sizing:border-box}body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--card);position:sticky;top:0}
header h1{font-size:1.1rem;margin:0}#live{color:var(--muted);font-size:.85rem}#live.stale{color:var(--down)}
main{padding:.5rem 1rem 2rem;max-width:1600px}section{background:var(--card);border:1px solid var(--line);border-radius:6px;margin:.75rem 0;padding:.5rem .75rem}
.summary{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}h2{font-size:1rem;margin:.2rem 0 .4rem}h2 small{color:var(--muted);font-weight:normal}
.meta{margin:.2rem 0;color:var(--muted)}.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.25rem .45rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap;vertical-align:top}th{font-size:.75rem;text-transform:uppercase;color:var(--muted);font-weight:600}
td.why{white-space:normal;min-width:10rem;max-width:20rem}td small{color:var(--muted)}.n{text-align:right}.url{color:var(--fg)}td.tg code{color:var(--muted)}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.state{display:inline-block;min-width:4.4rem;text-align:center;border-radius:3px;padding:0 .35rem;color:#fff;font-weight:600;font-size:.8rem}
.state.up{background:var(--up)}.state.down{background:var(--down)}.state.ejected{background:var(--ej)}.state.draining{background:var(--dr)}.state.unknown{background:var(--muted)}
tr.down td,tr.ejected td{background:color-mix(in srgb,var(--down) 7%,transparent)}tr.draining td{background:color-mix(in srgb,var(--dr) 7%,transparent)}
.ok{color:var(--up)}.bad{color:var(--down)}.warn{color:var(--ej)}button{font:inherit;font-size:.8rem;padding:.1rem .5rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg);cursor:pointer}
button:hover{border-color:var(--muted)}.purge input{min-width:16rem;font:inherit}#message{color:var(--muted)}
@media (max-width:760px){main{padding:.25rem .4rem}section{padding:.4rem}
table.cards thead{display:none}table.cards,table.cards tbody{display:block}
table.cards tr{display:grid;grid-template-columns:repeat(auto-fill,minmax(6.5rem,1fr));gap:.15rem .5rem;padding:.4rem 0;border-bottom:1px solid var(--line)}
table.cards td{display:block;border:0;padding:0;text-align:left;white-space:normal}table.cards td::before{content:attr(data-label);display:block;font-size:.7rem;color:var(--muted);text-transform:uppercase}
table.cards tr.down,table.cards tr.ejected{background:color-mix(in srgb,var(--down) 7%,transparent)}table.cards tr.draining{background:color-mix(in srgb,var(--dr) 7%,transparent)}table.cards tr td{background:none}
table.cards td.tg,table.cards td.why,table.cards td.chk,table.cards td.st{grid-column:1/-1}table.cards td.st::before,table.cards td.tg::before,table.cards td.act::before{display:none}}
`

/** The client part: poll `/status` (ETag → 304 when unchanged), re-render, wire the buttons. */
function clientScript (refreshMs: number): string {
  return `
const main = document.getElementById('main'), live = document.getElementById('live'), message = document.getElementById('message')
let etag = document.body.dataset.etag, current = JSON.parse(document.getElementById('status-data').textContent), currentAt = Date.now(), previous, lastOk = Date.now()
const render = () => { main.innerHTML = renderSections(current, Date.now(), previous) }
async function poll () {
  try {
    const res = await fetch('/status', { headers: etag ? { 'if-none-match': etag } : {}, cache: 'no-store' })
    if (res.status === 200) { previous = { at: currentAt, status: current }; current = await res.json(); currentAt = Date.now(); etag = res.headers.get('etag') || '' }
    else if (res.status !== 304) throw new Error('HTTP ' + res.status)
    lastOk = Date.now(); render()
    live.textContent = 'live · updated ' + new Date().toLocaleTimeString(); live.className = ''
  } catch (err) {
    live.textContent = 'not updating (' + err.message + ') since ' + new Date(lastOk).toLocaleTimeString(); live.className = 'stale'
  }
}
async function act (method, url) {
  const res = await fetch(url, { method, headers: { 'x-requested-by': 'switchyard-status-page' } })
  const body = await res.json().catch(() => ({}))
  message.textContent = res.ok ? method + ' ' + url + ': done' + (body.purged !== undefined ? ' (' + body.purged + ' purged)' : '') : method + ' ' + url + ': ' + (body.message || res.status)
  etag = ''; await poll()
}
main.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]')
  if (button === null) return
  act('POST', '/targets/' + encodeURIComponent(button.dataset.pool) + '/' + encodeURIComponent(button.dataset.id) + '/' + button.dataset.action)
})
main.addEventListener('submit', (event) => {
  event.preventDefault()
  act('DELETE', '/cache?prefix=' + encodeURIComponent(new FormData(event.target).get('prefix')))
})
setInterval(poll, ${refreshMs})
`
}

/** The whole page. `nonce` goes into the CSP and on the inline style and script. */
export function renderStatusPage (status: StatusDocument, options: { nonce: string, etag: string, now?: number }): string {
  const now = options.now ?? Date.now()
  // `<` escaped so that the JSON cannot close the script element.
  const data = JSON.stringify(status).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchyard status</title><link rel="icon" href="data:,"><style nonce="${options.nonce}">${STYLE}</style></head>
<body data-etag="${options.etag.replace(/"/g, '&quot;')}">
<header><h1>Switchyard</h1><span id="live">rendered ${new Date(now).toISOString().slice(11, 19)} UTC · updates every ${REFRESH_MS / 1000} s with JavaScript</span><span id="message"></span></header>
<main id="main">
${renderSections(status, now)}
</main>
<script type="application/json" id="status-data">${data}</script>
<script nonce="${options.nonce}">
// Some TypeScript loaders wrap functions in __name() to keep their names; harmless here.
const __name = (fn) => fn
const renderSections = ${renderSections.toString()}
${clientScript(REFRESH_MS)}
</script>
</body></html>
`
}

/** The CSP of the page: nothing but its own nonce'd style and script, and fetches to itself. */
export function statusPageCsp (nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`
}
