import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, signedInPage } from '../support/browser'
import { skipReason, testEnv } from '../support/env'
import { startServer, TEST_AUTH_KEY, type RunningServer } from '../support/server'

const KEYS = ['sk-console-upstream-key-aaaaaaaa1111', 'sk-console-upstream-key-bbbbbbbb2222', 'sk-console-upstream-key-cccccccc3333']

describe.skipIf(!testEnv.chromium)(`console: groups and keys in Chromium${testEnv.chromium ? '' : ` (skipped: ${skipReason.browser})`}`, () => {
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

  it('creates a group, refusing bad input field by field, then imports keys with progress and shows them masked', async () => {
    await page.goto(`${server.url}/groups`)
    await page.locator('[data-test="new-group"]').click()
    await page.locator('input[name="name"]').fill('Bad Name')
    await page.locator('[data-test="create-group"]').click()
    await expect.poll(() => page.getByText('must be 1-100 characters of a-z, 0-9, _ and -').count()).toBe(1)

    await page.locator('input[name="name"]').fill('console-oa')
    await page.locator('input[name="upstream"]').fill('http://127.0.0.1:9')
    await page.locator('input[name="models"]').fill('gpt-4o*, o3')
    await page.locator('[data-test="create-group"]').click()
    await page.waitForURL(/\/groups\/\d+$/)
    await expect.poll(() => page.locator('[data-test="endpoint"]').textContent()).toContain('/proxy/console-oa')

    await page.locator('textarea[name="newKeys"]').fill(`${KEYS.join('\n')}\n${KEYS[0]}`)
    await page.locator('[data-test="add-keys"]').click()
    await expect.poll(() => page.locator('[data-test="task-progress"]').textContent(), { timeout: 15_000 }).toContain('done')
    await expect.poll(() => page.locator('[data-test="key-counts"]').textContent()).toContain('3 (3 active')
    const table = page.locator('[data-test="keys-table"]')
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3)
    for (const k of KEYS) await expect.poll(() => table.getByText(`${k.slice(0, 5)}…${k.slice(-4)}`).count()).toBe(1)
    const html = await page.content()
    for (const k of KEYS) expect(html).not.toContain(k)

    // Disable one key and find it with the status filter.
    await table.locator('tbody tr').first().getByRole('button', { name: 'Disable' }).click()
    await expect.poll(() => table.getByText('disabled', { exact: true }).count()).toBe(1)
    const groups = await server.api('GET', '/api/groups')
    const keys = await server.api('GET', `/api/groups/${groups.body.items[0].id}/keys?status=disabled`)
    expect(keys.body.total).toBe(1)
  })

  it('lists the group on the groups page', async () => {
    await page.goto(`${server.url}/groups`)
    await expect.poll(() => page.locator('[data-test="groups-table"]').getByText('console-oa', { exact: true }).count()).toBe(1)
  })
})
