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
    const sent: string[] = []
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/api/proxy-keys')) sent.push(r.url()) })
    await page.goto(`${server.url}/proxy-keys`)
    // Without a name the shared schema refuses, and nothing is sent.
    await page.locator('[data-test="create-proxy-key"]').click()
    await expect.poll(() => page.getByText('is required', { exact: true }).count()).toBe(1)
    if (process.env.KEYGATE_TEST_SCREENSHOTS) await page.screenshot({ path: `${process.env.KEYGATE_TEST_SCREENSHOTS}/proxy-keys.png` })
    expect(sent).toEqual([])
    await page.locator('input[name="proxyKeyName"]').fill('my-app')
    await page.locator('[data-test="create-proxy-key"]').click()
    const secret = (await page.locator('[data-test="new-secret"] code').textContent({ timeout: 10_000 }))!.trim()
    expect(sent).toHaveLength(1)
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
