/**
 * `switchyard --version` prints the package's version, `--help` the usage;
 * an unknown command or option is a usage error (exit 2).
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { runCli } from '../helpers/cli.js'

t.test('--version prints the version of package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  const result = await runCli(['--version'])
  t.equal(result.code, 0)
  t.equal(result.stdout, `switchyard ${pkg.version}\n`)
})

t.test('--help lists the commands', async (t) => {
  const result = await runCli(['--help'])
  t.equal(result.code, 0)
  t.match(result.stdout, /switchyard check \[--config FILE\]/)
  t.match(result.stdout, /--version/)
})

t.test('unknown commands and options are usage errors', async (t) => {
  for (const args of [['deploy'], ['--frobnicate']]) {
    const result = await runCli(args)
    t.equal(result.code, 2, `${args.join(' ')}: exit 2`)
    t.match(result.stderr, /Usage:/)
  }
})
