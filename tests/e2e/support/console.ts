import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'
import type { LocaleCode } from '../../../i18n'
import { launchBrowser } from '../../support/browser'
import { skipReason, testEnv } from '../../support/env'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { startServer, TEST_AUTH_KEY, type RunningServer, type StartOptions } from '../../support/server'

/**
 * What every console browser test stands on: the built server, the mock upstream, Debian's
 * Chromium, a signed-in page in a chosen language, an axe pass, and the README's screenshots.
 * See tests/e2e/README.md.
 */

/** `describe.skipIf(...)(consoleSuite('dashboard'), ...)`: the suite's name, saying why it is skipped. */
export const browserMissing = !testEnv.chromium
export const consoleSuite = (name: string) => `console: ${name} in Chromium${testEnv.chromium ? '' : ` (skipped: ${skipReason.browser})`}`

export type Console = {
  server: RunningServer
  upstream: MockUpstream
  browser: Browser
  /** A new signed-in page (its own context: cookies, localStorage) in this language and theme. */
  open: (opts?: { locale?: LocaleCode; theme?: 'system' | 'light' | 'dark' }) => Promise<Page>
  close: () => Promise<void>
}

export async function startConsole(opts: StartOptions = {}): Promise<Console> {
  const upstream = await startMockUpstream()
  const server = await startServer(opts)
  const browser = await launchBrowser()
  const contexts: BrowserContext[] = []
  return {
    server,
    upstream,
    browser,
    async open({ locale = 'en', theme = 'system' } = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', colorScheme: 'light' })
      contexts.push(context)
      await context.addInitScript(([l, th]) => {
        // Only before the first load: a test that switches language or theme later must see its choice kept.
        if (!localStorage.getItem('keygate.test.init')) {
          localStorage.setItem('keygate.locale', l!)
          localStorage.setItem('keygate.theme', th!)
          localStorage.setItem('keygate.test.init', '1')
        }
      }, [locale, theme])
      const login = await context.request.post(`${server.url}/api/auth/login`, { data: { authKey: TEST_AUTH_KEY } })
      if (login.status() !== 200) throw new Error(`admin login failed: ${login.status()}`)
      return context.newPage()
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {})
      await browser.close().catch(() => {})
      await server.stop()
      await upstream.close()
    },
  }
}

/** Switches the language through the header's picker, as a user does, and waits for the page to speak it. */
export async function switchLanguage(page: Page, code: LocaleCode) {
  await page.locator('[data-test="language"]').click()
  await page.locator(`[data-test="language-${code}"]`).click()
  await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe(code)
}

/** Axe on the page as it is now: fails listing every serious or critical violation (WCAG 2.1 A and AA rules). */
export async function expectAccessible(page: Page, what: string) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const bad = result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
  const report = bad.map(v => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).map(n => n.target.join(' ')).join('\n    ')}`)
  expect(report, `accessibility of ${what}`).toEqual([])
}

export const SCREENSHOT_DIR = resolve(process.env.KEYGATE_TEST_SCREENSHOTS || 'docs/screenshots')

/**
 * The page in the light and the dark theme (following the system, as a new visitor sees it):
 * an axe pass in each (contrast differs) and `docs/screenshots/<name>-<theme>.png`.
 * `ready` waits for what must be on screen before the picture.
 */
export async function checkThemes(page: Page, name: string, ready?: () => Promise<unknown>) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme })
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme)
    await ready?.()
    // Naive UI fades colours in over 0.3 s; a picture mid-transition shows neither theme.
    await page.waitForTimeout(400)
    await expectAccessible(page, `${name} (${theme})`)
    await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}-${theme}.png`, animations: 'disabled' })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/** Proxy traffic for the pages to show: `n` chat completions through `/v1` with `proxyKey`. */
export async function chat(server: RunningServer, proxyKey: string, n: number, body: Record<string, unknown> = {}) {
  const statuses: number[] = []
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${proxyKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body }),
    })
    await r.arrayBuffer()
    statuses.push(r.status)
  }
  return statuses
}
