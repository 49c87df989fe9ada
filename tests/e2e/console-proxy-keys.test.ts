import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { browserMissing, checkThemes, consoleSuite, startConsole, type Console } from './support/console'

/** Polls outside a test (expect.poll works only inside one): resolves once `ok` holds, throws after `ms`. */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`condition not met after ${ms} ms: ${JSON.stringify(v)}`)
    await new Promise(r => setTimeout(r, 100))
  }
}

describe.skipIf(browserMissing)(consoleSuite('proxy keys'), () => {
  let c: Console
  let groupId: number
  beforeAll(async () => {
    // A page on a busy machine can take longer than expect.poll's default second to draw.
    vi.setConfig({ expect: { poll: { timeout: 15_000, interval: 100 } } })
    c = await startConsole()
    const g = await c.server.api('POST', '/api/groups', { name: 'pk-group', channel: 'openai', upstreams: [{ url: c.upstream.url, weight: 1 }], models: ['gpt-4o-mini'] })
    groupId = g.body.id
    await c.server.api('POST', `/api/groups/${groupId}/keys`, { keys: 'sk-proxy-keys-upstream-0001' })
    await until(async () => (await c.server.api('GET', `/api/groups/${groupId}/stats`)).body.keys.active, n => n === 1)
  }, 60_000)
  afterAll(async () => { await c?.close() })

  it('creates a key with every limit, checked by the shared schema, and shows its secret once with a copy button', async () => {
    const page = await c.open()
    const sent: string[] = []
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/api/proxy-keys')) sent.push(r.url()) })
    await page.goto(`${c.server.url}/proxy-keys`)
    await page.locator('[data-test="new-proxy-key"]').click()
    await page.locator('[data-test="save-proxy-key"]').click()
    await expect.poll(() => page.getByText('is required', { exact: true }).count()).toBe(1)
    await page.locator('input[name="proxyKeyName"]').fill('my-app')
    expect(sent).toEqual([])

    await page.locator('textarea[name="ipAllowlist"]').fill('127.0.0.1\n::1\n10.0.0.0/8')
    await page.locator('[data-test="proxy-key-groups"]').click()
    await page.locator('.n-base-select-option:visible').filter({ hasText: /^pk-group$/ }).click()
    // A click elsewhere closes the menu (Escape would close the whole dialog).
    await page.locator('input[name="proxyKeyModels"]').click()
    await page.locator('input[name="proxyKeyModels"]').fill('gpt-4o*, o3')
    for (const [name, v] of [['rpm', '600'], ['tpm', '100000'], ['maxConcurrency', '4'], ['budgetTokens', '5000000'], ['budgetCost', '12.5']]) {
      await page.locator(`input[name="${name}"]`).fill(v!)
      await page.locator(`input[name="${name}"]`).blur()
    }
    await page.locator('[data-test="budget-period"]').click()
    await page.locator('.n-base-select-option:visible').filter({ hasText: /^per month$/ }).click()
    await page.locator('input[name="expiresAt"]').fill('2030-01-02 03:04:05')
    await page.locator('input[name="expiresAt"]').press('Enter')
    await page.locator('[data-test="save-proxy-key"]').click()

    const secretBox = page.locator('[data-test="new-secret"] code')
    const secret = (await secretBox.textContent({ timeout: 10_000 }))!.trim()
    expect(secret).toMatch(/^kg-\S{20,}$/)
    expect(sent).toHaveLength(1)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.locator('[data-test="copy-secret"]').click()
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret)

    const keys = (await c.server.api('GET', '/api/proxy-keys')).body.items
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({
      name: 'my-app', groupIds: [groupId], models: ['gpt-4o*', 'o3'], rpm: 600, tpm: 100000, maxConcurrency: 4,
      budgetTokens: 5000000, budgetCost: 12.5, budgetPeriod: 'month', ipAllowlist: ['127.0.0.1', '::1', '10.0.0.0/8'],
      expiresAt: new Date(2030, 0, 2, 3, 4, 5).getTime(), enabled: true,
    })
    await page.locator('[data-test="secret-done"]').click()
    const table = page.locator('[data-test="proxy-keys-table"]')
    await expect.poll(() => table.locator('[data-test="limits"]').textContent()).toBe(
      '600 req/min · 100,000 tokens/min · 4 at once · 5,000,000 tokens per month · $12.50 per month · from 127.0.0.1, ::1, 10.0.0.0/8')
    expect(await page.content()).not.toContain(secret)

    // The secret works through an SDK; after a reload it is gone for good.
    const client = new OpenAI({ baseURL: `${c.server.url}/v1`, apiKey: secret })
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    expect(r.choices[0]!.message.content).toBeTruthy()
    await page.reload()
    await expect.poll(() => table.getByText('my-app', { exact: true }).count()).toBe(1)
    expect(await page.content()).not.toContain(secret)
    await checkThemes(page, 'proxy-keys', () => table.waitFor())
    await page.close()
  }, 240_000)

  it('shows a key\'s use this period against its limits, figures as the API counts them', async (ctx) => {
    const key = (await c.server.api('GET', '/api/proxy-keys')).body.items[0]
    const probe = await c.server.api('GET', `/api/proxy-keys/${key.id}/usage`)
    if (probe.status === 404) ctx.skip('this server has no GET /api/proxy-keys/{id}/usage yet')
    await expect.poll(async () => (await c.server.api('GET', `/api/proxy-keys/${key.id}/usage`)).body.used.requests, { timeout: 10_000 }).toBe(1)
    const usage = (await c.server.api('GET', `/api/proxy-keys/${key.id}/usage`)).body
    const page = await c.open()
    await page.goto(`${c.server.url}/proxy-keys`)
    await page.locator('[data-test="usage-my-app"]').click()
    const drawer = page.locator('[data-test="usage-drawer"]')
    await expect.poll(() => drawer.locator('[data-test="usage-requests"]').textContent()).toBe('1')
    expect(await drawer.locator('[data-test="usage-tokens"] [data-test="usage-figure"]').textContent())
      .toBe(`${usage.enforced.tokens.toLocaleString('en-US')} of 5,000,000`)
    expect(await drawer.locator('[data-test="usage-cost"] [data-test="usage-figure"]').textContent()).toContain('of $12.50')
    expect(await drawer.locator('[data-test="usage-period"]').textContent()).toContain('per month')
    await checkThemes(page, 'proxy-key-usage', () => drawer.waitFor())
    await page.close()
  }, 180_000)

  it('in Japanese: edits a limit, disables the key (refused at once), and deletes it after a confirmation naming it', async () => {
    const page = await c.open({ locale: 'ja' })
    await page.goto(`${c.server.url}/proxy-keys`)
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('プロキシキー')
    await page.locator('[data-test="edit-my-app"]').click()
    await page.locator('input[name="rpm"]').fill('30')
    await page.locator('input[name="rpm"]').blur()
    await page.locator('[data-test="save-proxy-key"]').click()
    await expect.poll(() => page.locator('[data-test="limits"]').textContent()).toContain('30 件/分')
    expect((await c.server.api('GET', '/api/proxy-keys')).body.items[0].rpm).toBe(30)

    await page.getByRole('switch', { name: 'my-app を有効にする' }).click()
    await expect.poll(async () => (await c.server.api('GET', '/api/proxy-keys')).body.items[0].enabled).toBe(false)

    await page.locator('[data-test="delete-my-app"]').click()
    await expect.poll(() => page.locator('.n-dialog').textContent()).toContain('プロキシキー my-app')
    await page.locator('[data-test="confirm-no"]').click()
    expect((await c.server.api('GET', '/api/proxy-keys')).body.items).toHaveLength(1)
    await page.locator('[data-test="delete-my-app"]').click()
    await page.locator('[data-test="confirm-yes"]').click()
    await expect.poll(async () => (await c.server.api('GET', '/api/proxy-keys')).body.items.length).toBe(0)
    await page.close()
  }, 180_000)
})
