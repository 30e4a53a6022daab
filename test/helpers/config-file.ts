import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function writeConfigFile (content: unknown, name = 'gateway.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'))
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}
