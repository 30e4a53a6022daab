/**
 * A tap plugin (a local package, `switchyard-tap-tsx` in package.json) that
 * runs the TypeScript test files with tsx (esbuild) in place of
 * @tapjs/typescript's ts-node: each test process transpiled every module it
 * loaded with the TypeScript compiler, the largest part of the suite's time
 * (test/pools + test/routes, without coverage: 41.8 s with ts-node, 31.8 s
 * with tsx). Type checking stays `npm run typecheck`'s job (ts-node ran
 * transpile-only too). tap loads a plugin with both require() and import(),
 * hence CommonJS.
 */
'use strict'
exports.importLoader = 'tsx'
exports.preload = true
exports.testFileExtensions = ['ts']
exports.plugin = () => ({})
