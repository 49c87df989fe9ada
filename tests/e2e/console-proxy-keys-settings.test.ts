import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, signedInPage } from '../support/browser'
import { skipReason, testEnv } from '../support/env'
import { startServer, TEST_AUTH_KEY, type RunningServer } from '../support/server'

describe.skipIf(!testEnv.chromium)(`console: settings in Chromium${testEnv.chromium ? '' : ` (skipped: ${skipReason.browser})`}`, () => {
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

  it('shows the settings schema\'s message next to a bad value and sends nothing', async () => {
    const sent: string[] = []
    page.on('request', (r) => { if (r.method() === 'PATCH') sent.push(r.url()) })
    await page.goto(`${server.url}/settings`)
    const codes = page.locator('input[name="failover_status_codes"]')
    await codes.fill('500-abc')
    await page.locator('[data-test="save-settings"]').click()
    await expect.poll(() => page.getByText('"500-abc" is not a status or a range like 500-599').count()).toBe(1)
    const proxy = page.locator('input[name="proxy_url"]')
    await proxy.fill('socks5://127.0.0.1:1080')
    await page.locator('[data-test="save-settings"]').click()
    await expect.poll(() => page.getByText('must be an http(s):// URL or empty').count()).toBe(1)
    expect(sent).toEqual([])
    const s = await server.api('GET', '/api/settings')
    expect(s.body.find((x: any) => x.key === 'failover_status_codes').value).toBe('400-403,405-599')
  })
})
