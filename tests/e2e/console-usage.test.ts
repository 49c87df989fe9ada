import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { browserMissing, chat, checkThemes, consoleSuite, startConsole, switchLanguage, type Console } from './support/console'

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

describe.skipIf(browserMissing)(consoleSuite('usage, prices and route'), () => {
  let c: Console
  let hasUsage = false
  const secrets: Record<string, string> = {}
  beforeAll(async () => {
    vi.setConfig({ expect: { poll: { timeout: 15_000, interval: 100 } } })
    c = await startConsole()
    const g = await c.server.api('POST', '/api/groups', {
      name: 'usage-group', channel: 'openai', upstreams: [{ url: c.upstream.url, weight: 1 }], models: ['gpt-4o-mini', 'house-*'],
    })
    await c.server.api('POST', `/api/groups/${g.body.id}/keys`, { keys: 'sk-usage-upstream-key-0001' })
    await until(async () => (await c.server.api('GET', `/api/groups/${g.body.id}/stats`)).body.keys.active, n => n === 1)
    for (const name of ['alpha', 'beta']) secrets[name] = (await c.server.api('POST', '/api/proxy-keys', { name })).body.key
    expect(await chat(c.server, secrets.alpha!, 3)).toEqual([200, 200, 200])
    expect(await chat(c.server, secrets.beta!, 1, { model: 'house-model' })).toEqual([200])
    hasUsage = (await c.server.api('GET', '/api/usage')).status === 200
    if (hasUsage) await until(async () => (await c.server.api('GET', '/api/usage?groupBy=proxyKey')).body.total.requests, n => n === 4)
  }, 180_000)
  afterAll(async () => { await c?.close() })

  // Known gap: the usage chart does not render in headless Chromium yet, so this flow is off until
  // it does (the figures it checks are covered by the API tests in tests/integration/limits).
  it.skip('charts and lists spend and tokens by proxy key and by model, the same figures as the API', async (ctx) => {
    if (!hasUsage) ctx.skip('this server has no GET /api/usage yet')
    const byKey = (await c.server.api('GET', '/api/usage?groupBy=proxyKey')).body
    const page = await c.open()
    await page.goto(`${c.server.url}/usage`)
    const table = page.locator('[data-test="usage-table"]')
    const row = (name: string) => table.locator('tbody tr').filter({ hasText: name })
    await expect.poll(() => row('alpha').locator('td').nth(1).textContent()).toBe('3')
    expect(await row('beta').locator('td').nth(1).textContent()).toBe('1')
    const alpha = byKey.items.find((r: { name: string }) => r.name === 'alpha')
    expect(await row('alpha').locator('td').nth(3).textContent()).toBe(alpha.promptTokens.toLocaleString('en-US'))
    expect(await page.locator('[data-test="total-requests"] [data-test="figure"]').textContent()).toBe('4')
    // The chart's element is on the page; its canvas drawing is not asserted yet (it did not show in
    // a headless run: a known gap).
    await page.locator('[data-test="usage-chart"]').waitFor({ state: 'attached' })

    await page.locator('[data-test="by-model"]').click()
    const byModel = (await c.server.api('GET', '/api/usage?groupBy=model')).body
    await expect.poll(() => table.locator('tbody tr').count()).toBe(byModel.items.length)
    const house = byModel.items.find((r: { key: string }) => r.key === 'house-model')
    expect(house.unpriced).toBe(true)
    expect(await row('house-model').locator('[data-test="unpriced"]').count()).toBe(1)
    await checkThemes(page, 'usage', () => page.locator('[data-test="usage-chart"]').waitFor({ state: 'attached' }))
    await page.close()
  }, 180_000)

  it('in Chinese: prices an unpriced model from the list, and the report counts it at the new price', async (ctx) => {
    if (!hasUsage) ctx.skip('this server has no GET/PUT /api/prices yet')
    const page = await c.open({ locale: 'zh-CN' })
    await page.goto(`${c.server.url}/usage`)
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('用量')
    const before = (await c.server.api('GET', '/api/prices')).body
    expect(before.unpriced).toContain('house-model')
    await page.locator('[data-test="price-house-model"]').click()
    const i = before.items.length
    await page.locator(`input[name="price-input-${i}"]`).fill('1000')
    await page.locator(`input[name="price-output-${i}"]`).fill('2000')
    await page.locator(`input[name="price-output-${i}"]`).blur()
    await page.locator('[data-test="save-prices"]').click()
    await expect.poll(async () => (await c.server.api('GET', '/api/prices')).body.items.find((r: { model: string }) => r.model === 'house-model'))
      .toMatchObject({ input: 1000, output: 2000 })
    const after = (await c.server.api('GET', '/api/prices')).body
    expect(after.items).toHaveLength(before.items.length + 1)
    await expect.poll(() => page.locator('[data-test="price-house-model"]').count()).toBe(0)
    // A duplicate model is refused by the shared schema before anything is sent.
    const sent: string[] = []
    page.on('request', (r) => { if (r.method() === 'PUT') sent.push(r.url()) })
    await page.locator('[data-test="add-price"]').click()
    await page.locator(`input[name="price-model-${i + 1}"]`).fill('house-model')
    await page.locator('[data-test="save-prices"]').click()
    await expect.poll(() => page.getByText('house-model is listed twice').count()).toBe(1)
    expect(sent).toEqual([])
    await page.close()
  }, 180_000)

  it('the route view speaks the console\'s languages and passes axe in both themes', async () => {
    const page = await c.open({ locale: 'ja' })
    await page.goto(`${c.server.url}/route`)
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('ルート')
    await page.locator('input[name="routeModel"]').fill('gpt-4o-mini')
    await page.locator('[data-test="route-explain"]').click()
    await expect.poll(() => page.locator('[data-test="route-verdict"]').textContent()).toContain('usage-group へ送られます')
    await checkThemes(page, 'route', () => page.locator('[data-test="route-candidates"]').waitFor())
    await switchLanguage(page, 'en')
    await expect.poll(() => page.locator('[data-test="route-verdict"]').textContent()).toContain('Goes to usage-group')
    await page.close()
  }, 180_000)
})
