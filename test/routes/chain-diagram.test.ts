/**
 * The README's request-path diagram is the chain of routes/chain.ts: a
 * change to the chain that forgets the README fails here.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { CHAIN, renderChainDiagram } from '../../routes/chain.js'

t.test('README shows the chain as routes/chain.ts orders it', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const blocks = [...readme.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => (m[1] as string).trim())
  t.ok(blocks.includes(renderChainDiagram()), 'a mermaid block of the README is the rendered chain')
  // And the rendering itself names every link, in order.
  const rendered = renderChainDiagram()
  let at = -1
  for (const entry of CHAIN.filter((e) => e.filter !== true)) {
    const next = rendered.indexOf(`"${entry.name}<br/>`)
    t.ok(next > at, `${entry.name} comes after the link before it`)
    at = next
  }
  for (const entry of CHAIN.filter((e) => e.filter === true)) t.match(rendered, entry.name, `response filter ${entry.name} is drawn`)
})
