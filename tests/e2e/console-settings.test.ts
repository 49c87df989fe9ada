import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserMissing, checkThemes, consoleSuite, startConsole, type Console } from './support/console'

describe.skipIf(browserMissing)(consoleSuite('settings'), () => {
  let c: Console
  beforeAll(async () => { c = await startConsole() })
  afterAll(async () => { await c?.close() })

  it('groups settings by category with description, default, range and a changed marker, in Japanese', async () => {
    const page = await c.open({ locale: 'ja' })
    await page.goto(`${c.server.url}/settings`)
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('設定')
    for (const title of ['一般', 'リクエストログ', '上流リクエスト', 'キー'])
      await expect.poll(() => page.locator('h2.category', { hasText: title }).count()).toBe(1)
    const retries = page.locator('[data-test="setting-max_retries"]')
    expect(await retries.textContent()).toContain('既定値: 3')
    expect(await retries.textContent()).toContain('範囲: 0 – 100')
    expect(await retries.textContent()).toContain('Retries on another key after a failed attempt')
    expect(await retries.locator('[data-test="changed"]').count()).toBe(0)

    await page.locator('input[name="max_retries"]').fill('5')
    await page.locator('input[name="max_retries"]').blur()
    await expect.poll(() => retries.locator('[data-test="edited"]').count()).toBe(1)
    await page.locator('[data-test="save-settings"]').click()
    await expect.poll(() => page.locator('[data-test="saved"]').count()).toBe(1)
    await expect.poll(() => retries.locator('[data-test="changed"]').count()).toBe(1)
    expect(await retries.locator('[data-test="edited"]').count()).toBe(0)
    const value = async () => (await c.server.api('GET', '/api/settings')).body.find((s: { key: string }) => s.key === 'max_retries').value
    expect(await value()).toBe(5)

    // Back to the default: the marker goes away.
    await page.locator('[data-test="default-max_retries"]').click()
    await page.locator('[data-test="save-settings"]').click()
    await expect.poll(() => retries.locator('[data-test="changed"]').count()).toBe(0)
    expect(await value()).toBe(3)
    await page.close()
  }, 60_000)

  it('checks with the shared schema before sending: a bad value is shown next to its field, nothing is sent', async () => {
    const page = await c.open()
    const sent: string[] = []
    page.on('request', (r) => { if (r.method() === 'PATCH') sent.push(r.url()) })
    await page.goto(`${c.server.url}/settings`)
    await page.locator('input[name="ban_status_codes"]').fill('4xx')
    await page.locator('[data-test="save-settings"]').click()
    await expect.poll(() => page.locator('[data-test="setting-ban_status_codes"]').textContent()).toContain('"4xx" is not a status or a range like 500-599')
    expect(sent).toEqual([])
    await page.locator('input[name="ban_status_codes"]').fill('')
    await checkThemes(page, 'settings')
    await page.close()
  }, 120_000)
})
