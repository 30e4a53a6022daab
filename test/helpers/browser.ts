/**
 * A real headless Chromium (Debian's /usr/bin/chromium) driven by
 * puppeteer-core, with a fresh profile each time.
 */
import puppeteer, { type Browser } from 'puppeteer-core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchChromium (): Promise<{ browser: Browser, close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'))
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`]
  })
  return {
    browser,
    close: async () => {
      await browser.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}
