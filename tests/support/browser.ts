import { chromium, type Browser, type Page } from 'playwright-core'
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

/** A page whose context carries an admin session for `baseUrl` (signed in through the API). */
export async function signedInPage(browser: Browser, baseUrl: string, authKey: string): Promise<Page> {
  const page = await browser.newPage()
  const login = await page.request.post(`${baseUrl}/api/auth/login`, { data: { authKey } })
  if (login.status() !== 200) throw new Error(`admin login failed: ${login.status()}`)
  return page
}
