import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, signedInPage } from '../support/browser'
import { skipReason, testEnv } from '../support/env'
import { startServer, TEST_AUTH_KEY, type RunningServer } from '../support/server'

describe.skipIf(!testEnv.chromium)(`console: proxy keys and settings in Chromium${testEnv.chromium ? '' : ` (skipped: ${skipReason.browser})`}`, () => {
  let server: RunningServer
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    server = await startServer()
    browser = await launchBrowser()
    page = await signedInPage(browser, server.url, TEST_AUTH_KEY)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('creates a proxy key, shows its secret once, and lists it masked', async () => {
    await page.goto(`${server.url}/proxy-keys`)
    await page.locator('input[name="proxyKeyName"]').fill('my-app')
    await page.locator('[data-test="create-proxy-key"]').click()
    const secret = (await page.locator('[data-test="new-secret"] code').textContent({ timeout: 10_000 }))!.trim()
    expect(secret).toMatch(/^kg-\S{20,}$/)
    const table = page.locator('[data-test="proxy-keys-table"]')
    await expect.poll(() => table.getByText('my-app', { exact: true }).count()).toBe(1)
    expect(await table.textContent()).not.toContain(secret)

    // The secret works as a proxy key (401 would mean unknown; no group yet gives another answer).
    const r = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })
    expect(r.status).toBe(200)

    // After a reload the secret is gone for good.
    await page.reload()
    await expect.poll(() => table.getByText('my-app', { exact: true }).count()).toBe(1)
    expect(await page.content()).not.toContain(secret)
  })

  it('keeps a setting within its range and saves a change that every later read sees', async () => {
    await page.goto(`${server.url}/settings`)
    const retries = page.locator('input[name="max_retries"]')
    await retries.fill('500')
    await retries.blur()
    await page.locator('[data-test="save-settings"]').click()
    await page.waitForTimeout(300)
    let s = await server.api('GET', '/api/settings')
    expect(s.body.find((x: any) => x.key === 'max_retries').value).toBe(100)

    await retries.fill('7')
    await retries.blur()
    await page.locator('[data-test="save-settings"]').click()
    await expect.poll(() => page.locator('[data-test="saved"]').count()).toBe(1)
    s = await server.api('GET', '/api/settings')
    expect(s.body.find((x: any) => x.key === 'max_retries').value).toBe(7)
  })
})
