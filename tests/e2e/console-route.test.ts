import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { launchBrowser, signedInPage } from '../support/browser'
import { skipReason, testEnv } from '../support/env'
import { startSeeded, type Seeded } from '../support/proxySeed'
import { TEST_AUTH_KEY } from '../support/server'

describe.skipIf(!testEnv.chromium)(`console: the route view in Chromium${testEnv.chromium ? '' : ` (skipped: ${skipReason.browser})`}`, () => {
  let s: Seeded
  let browser: Browser

  beforeAll(async () => {
    // Upstream on a closed port: the view reads the pools, it sends nothing upstream.
    const up = [{ url: 'http://127.0.0.1:9', weight: 1 }]
    s = await startSeeded([
      { name: 'first', channel: 'openai', upstreams: up, models: ['gpt-4o'], priority: 0 },
      { name: 'second', channel: 'openai', upstreams: up, models: ['gpt-4o'], priority: 1, keys: ['sk-route-view-key-000-abcdefgh'] },
    ], [{ name: 'only-first', groups: ['first'] }])
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await s?.server.stop()
  })

  it('shows the groups in order, the chosen one, and why the others would not serve', async () => {
    const page = await signedInPage(browser, s.server.url, TEST_AUTH_KEY)
    await page.goto(`${s.server.url}/route`)
    await page.locator('input[name="routeModel"]').fill('gpt-4o')
    await page.locator('[data-test="route-explain"]').click()
    const verdict = page.locator('[data-test="route-verdict"]')
    await expect.poll(() => verdict.textContent()).toContain('Goes to second')
    const table = page.locator('[data-test="route-candidates"]')
    await expect.poll(() => table.textContent()).toContain('no usable key right now')
    expect(await table.textContent()).toContain('1 / 1')

    await page.locator('input[name="routeModel"]').fill('gpt-9')
    await page.locator('[data-test="route-explain"]').click()
    await expect.poll(() => verdict.textContent()).toContain('no group serves this model')
    await page.close()
  })
})
