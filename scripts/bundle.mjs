/**
 * `npm run build`'s second step: bundles the start command (`dist/start.js`)
 * and the `switchyard` command (`dist/bin/switchyard.js`), as tsc wrote them,
 * with their dependencies into `dist/bundle/` (ESM, code split: what loads
 * only when configured — TLS, cache, Redis, YAML, L4, cluster, the demo —
 * stays in chunks read on first use). A start then reads a handful of files
 * instead of ~700 and resolves no package paths.
 *
 * `dist/bundle/switchyard.js` sits two folders below package.json, as
 * `dist/bin/switchyard.js` does, so `--version` finds it the same way.
 */
import { build } from 'esbuild'
import { rmSync } from 'node:fs'

rmSync('dist/bundle', { recursive: true, force: true })
await build({
  entryPoints: { start: 'dist/start.js', switchyard: 'dist/bin/switchyard.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS packages call require() for Node's own modules: give the ESM bundle one.
  banner: { js: "import { createRequire as __switchyardCreateRequire } from 'node:module'; const require = __switchyardCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  // Function and class names as written (stack traces, plugin names in Fastify errors); the
  // status page defines the __name helper this adds for renderSections (page.ts).
  keepNames: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning'
})
