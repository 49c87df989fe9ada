import { chromium, type Browser } from 'playwright-core'
import { testEnv } from './env'

/** Debian's Chromium driven by Playwright (never a downloaded browser); a fresh profile per launch. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: testEnv.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}
