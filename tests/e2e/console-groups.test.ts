import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { CHANNELS } from '../../shared/channels'
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

  it('lists exactly the shared channels, with each channel\'s defaults', async () => {
    await page.goto(`${server.url}/groups`)
    await page.locator('[data-test="new-group"]').click()
    await expect.poll(() => page.locator('textarea[name="upstreams"]').inputValue()).toBe(CHANNELS[0].defaultUpstream)
    await page.locator('[data-test="channel-select"]').click()
    const options = page.locator('.n-base-select-option')
    await expect.poll(() => options.allTextContents()).toEqual(CHANNELS.map(c => c.label))
    await options.filter({ hasText: /^Anthropic$/ }).click()
    await expect.poll(() => page.locator('textarea[name="upstreams"]').inputValue()).toBe('https://api.anthropic.com')
    expect(await page.locator('input[name="testModel"]').inputValue()).toBe(CHANNELS.find(c => c.type === 'anthropic')!.defaultTestModel)
    expect(await page.locator('[data-test="group-form"]').textContent()).toContain(CHANNELS.find(c => c.type === 'anthropic')!.description)
  })

  it('creates a group, refusing bad input field by field, then imports keys with progress and shows them masked', async () => {
    const sent: string[] = []
    page.on('request', (r) => { if (r.url().includes('/api/groups') && r.method() !== 'GET') sent.push(`${r.method()} ${new URL(r.url()).pathname}`) })
    await page.goto(`${server.url}/groups`)
    await page.locator('[data-test="new-group"]').click()
    // The shared schema's messages, shown before anything is sent.
    await page.locator('input[name="name"]').fill('Bad Name')
    await page.locator('textarea[name="upstreams"]').fill('ftp://example.com')
    await page.locator('[data-test="save-group"]').click()
    await expect.poll(() => page.getByText('must be 1-100 characters of a-z, 0-9, _ and -').count()).toBe(1)
    await expect.poll(() => page.getByText('must be an http:// or https:// URL').count()).toBe(1)
    if (process.env.KEYGATE_TEST_SCREENSHOTS) await page.locator('.n-modal').screenshot({ path: `${process.env.KEYGATE_TEST_SCREENSHOTS}/group-form.png` })
    expect(sent).toEqual([])

    await page.locator('input[name="name"]').fill('console-oa')
    await page.locator('textarea[name="upstreams"]').fill('http://127.0.0.1:9')
    await page.locator('input[name="models"]').fill('gpt-4o*, o3')
    await page.locator('[data-test="save-group"]').click()
    await page.waitForURL(/\/groups\/\d+$/)
    await expect.poll(() => page.locator('[data-test="endpoint"]').textContent()).toContain('/proxy/console-oa')
    expect(sent).toEqual(['POST /api/groups'])

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

  it('edits the group with the same checks: a refused patch sends nothing, a good one is saved', async () => {
    const sent: string[] = []
    page.on('request', (r) => { if (r.method() === 'PATCH') sent.push(new URL(r.url()).pathname) })
    await page.locator('[data-test="edit-group"]').click()
    await expect.poll(() => page.locator('input[name="name"]').inputValue()).toBe('console-oa')
    await page.locator('input[name="models"]').fill('gpt-4o*, bad model')
    await page.locator('[data-test="save-group"]').click()
    await expect.poll(() => page.getByText('must not contain spaces').count()).toBe(1)
    expect(sent).toEqual([])

    await page.locator('input[name="models"]').fill('gpt-4o*, o4-mini')
    await page.locator('[data-test="save-group"]').click()
    await expect.poll(() => page.getByText('gpt-4o*, o4-mini').count()).toBe(1)
    expect(sent).toHaveLength(1)
    const groups = await server.api('GET', '/api/groups')
    expect(groups.body.items[0].models).toEqual(['gpt-4o*', 'o4-mini'])
  })

  it('lists the group on the groups page', async () => {
    await page.goto(`${server.url}/groups`)
    await expect.poll(() => page.locator('[data-test="groups-table"]').getByText('console-oa', { exact: true }).count()).toBe(1)
  })
})
