#!/usr/bin/env node
/**
 * The `switchyard` command (package.json `bin`):
 *   switchyard [--config FILE]          run the bundled gateway (FILE becomes GATEWAY_CONFIG)
 *   switchyard check [--config FILE]    validate the whole config and exit (0 ok, 1 invalid), like `nginx -t`
 *   switchyard --help | --version
 * Only what a command needs is imported, and only when it runs: `--help` and
 * `--version` load nothing of the gateway; `check` builds the gateway from
 * the config without starting it (config/check-gateway.ts).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

const USAGE = `Usage:
  switchyard [--config FILE]         run the gateway (FILE: JSON or YAML, sets GATEWAY_CONFIG)
  switchyard check [--config FILE]   validate the config (and the GATEWAY_* environment) and exit:
                                     0 and one "ok" line, or 1 and the error naming the field
  switchyard --help                  this text
  switchyard --version               the version

Everything else is configured by environment variables (see README.md): PORT, HOST,
GATEWAY_UPSTREAMS, GATEWAY_ADMIN_PORT, GATEWAY_ADMIN_TOKEN, LOG_LEVEL, ...
`

/** Exit codes: 0 ok, 1 invalid config or failed start, 2 bad command line. */
export async function run (argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' }
      }
    })
  } catch (err) {
    process.stderr.write(`switchyard: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  if (values.version === true) {
    process.stdout.write(`switchyard ${readVersion()}\n`)
    return 0
  }
  const command = positionals[0] ?? 'start'
  if (positionals.length > 1 || (command !== 'start' && command !== 'check')) {
    process.stderr.write(`switchyard: unknown command "${positionals.join(' ')}"\n\n${USAGE}`)
    return 2
  }
  if (values.config !== undefined) env.GATEWAY_CONFIG = resolve(values.config)
  if (command === 'check') return await check(env)
  const { main } = await import('../app.js')
  await main()
  return typeof process.exitCode === 'number' ? process.exitCode : 0
}

async function check (env: NodeJS.ProcessEnv): Promise<number> {
  if (env.GATEWAY_CONFIG === undefined || env.GATEWAY_CONFIG.trim() === '') {
    process.stderr.write('switchyard: check needs --config FILE (or GATEWAY_CONFIG)\n')
    return 2
  }
  const [{ checkGatewayConfig }, { ConfigError }] = await Promise.all([import('../config/check-gateway.js'), import('../lib/validate.js')])
  try {
    const { pools, routes, listeners } = await checkGatewayConfig(env)
    const l4 = listeners === 0 ? '' : `, ${listeners} L4 listener${listeners === 1 ? '' : 's'}`
    process.stdout.write(`switchyard: configuration ${env.GATEWAY_CONFIG} is ok (${pools} pool${pools === 1 ? '' : 's'}, ${routes} route${routes === 1 ? '' : 's'}${l4})\n`)
    return 0
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`switchyard: invalid configuration: ${err.message}\n`)
    return 1
  }
}

/** The package's version: package.json sits one folder up from bin/ (source) or two from dist/bin/. */
function readVersion (): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'switchyard' && typeof pkg.version === 'string') return pkg.version
    } catch {}
  }
  return 'unknown'
}

process.exitCode = await run(process.argv.slice(2), process.env)
