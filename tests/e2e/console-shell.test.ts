import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { launchBrowser } from '../support/browser'
import { skipReason, testEnv } from '../support/env'
import { startServer, TEST_AUTH_KEY, type RunningServer } from '../support/server'

describe.skipIf(!testEnv.chromium)(`console shell in Chromium${testEnv.chromium ? '' : ` (skipped: ${skipReason.browser})`}`, () => {
  let server: RunningServer
  let browser: Browser

  beforeAll(async () => {
    server = await startServer()
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('sends a visitor to the login page, refuses a wrong key, and opens the dashboard with the right one', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/`)
    await page.waitForURL(/\/login$/)
    const input = page.locator('input[name="authKey"]')
    await input.fill('not-the-admin-key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByText('Wrong admin key').count()).toBe(1)

    await input.fill(TEST_AUTH_KEY)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${server.url}/`)
    await expect.poll(() => page.locator('[data-test="dashboard-empty"]').count()).toBe(1)
    expect(await page.content()).not.toContain(TEST_AUTH_KEY)

    const cookies = await page.context().cookies()
    const session = cookies.find(c => c.name === 'keygate_session')
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' })

    // A reload keeps the session; signing out ends it.
    await page.reload()
    await expect.poll(() => page.locator('[data-test="dashboard-empty"]').count()).toBe(1)
    await page.locator('[data-test="logout"]').click()
    await page.waitForURL(/\/login$/)
    const after = await page.evaluate(async () => (await fetch('/api/auth/session')).status)
    expect(after).toBe(401)
    await page.close()
  })
})
