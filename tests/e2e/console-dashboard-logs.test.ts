import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seed } from '../support/proxySeed'
import { browserMissing, chat, checkThemes, consoleSuite, startConsole, switchLanguage, type Console } from './support/console'

async function waitFor(ok: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out waiting for the request log')
    await new Promise(r => setTimeout(r, 100))
  }
}

const KEYS = ['sk-dash-upstream-aaaaaaaa0001', 'sk-dash-upstream-bbbbbbbb0002', 'sk-dash-upstream-cccccccc0003']

describe.skipIf(browserMissing)(consoleSuite('dashboard and request logs'), () => {
  let c: Console
  let proxyKey: string

  beforeAll(async () => {
    c = await startConsole()
    const s = await seed(c.server, [{ name: 'dash-oa', channel: 'openai', upstreams: [{ url: c.upstream.url, weight: 1 }], keys: KEYS }], [{ name: 'dash-app' }])
    proxyKey = s.proxyKeys[0]!
    // Traffic: 4 good requests, one that fails over once (a 429 on one key, then success), one streamed.
    c.upstream.onKey(KEYS[0]!, { status: 429, times: 1 })
    expect(await chat(c.server, proxyKey, 4)).toEqual([200, 200, 200, 200])
    expect(await chat(c.server, proxyKey, 1, { stream: true })).toEqual([200])
    // Logs are written in batches: wait until the API has them all.
    await waitFor(async () => (await c.server.api('GET', '/api/logs?type=final')).body.total === 5)
  }, 90_000)
  afterAll(async () => { await c?.close() })

  it('shows the same figures as the API, the retry, and the key that cooled down in the live panel', async () => {
    const page = await c.open()
    await page.goto(`${c.server.url}/`)
    const o = (await c.server.api('GET', '/api/stats/overview?range=24h')).body
    expect(o.current).toMatchObject({ requests: 5, failures: 0, retries: 1 })
    const card = (id: string) => page.locator(`[data-test="stat-${id}"] [data-test="stat-value"]`)
    await expect.poll(() => card('requests').textContent()).toBe('5')
    expect(await card('keys').textContent()).toBe('3')
    expect(await page.locator('[data-test="keys-by-state"]').textContent()).toContain(`${o.keys.cooling} cooling`)
    expect(await card('error-rate').textContent()).toBe('0%')
    expect(await page.locator('[data-test="stat-requests"]').textContent()).toContain('1 retries')
    await expect.poll(() => page.locator('[data-test="requests-chart"] canvas').count()).toBe(1)
    await expect.poll(() => page.locator('[data-test="top-groups"]').textContent()).toContain('dash-oa')
    expect(await page.locator('[data-test="top-proxy-keys"]').textContent()).toContain('dash-app')
    // The key that got the 429 is cooling, and the live panel says so (masked).
    await expect.poll(() => page.locator('[data-test="key-events"]').textContent(), { timeout: 10_000 }).toContain('sk-da…0001')
    expect(await page.content()).not.toContain(KEYS[0])

    // The 1 h view reads the log by the minute and agrees with the API.
    await page.locator('[data-test="range-1h"]').click()
    const hour = (await c.server.api('GET', '/api/stats/overview?range=1h')).body
    await expect.poll(() => card('requests').textContent()).toBe(String(hour.current.requests))
    await checkThemes(page, 'dashboard', () => page.locator('[data-test="requests-chart"] canvas').waitFor())
    await page.close()
  }, 90_000)

  it('refreshes itself: a new request shows up within a few seconds, without a reload', async () => {
    const page = await c.open()
    await page.goto(`${c.server.url}/`)
    const card = page.locator('[data-test="stat-requests"] [data-test="stat-value"]')
    await expect.poll(() => card.textContent()).toBe('5')
    expect(await chat(c.server, proxyKey, 2)).toEqual([200, 200])
    await expect.poll(() => card.textContent(), { timeout: 15_000, interval: 500 }).toBe('7')
    await page.close()
  }, 60_000)

  it('lists requests, filters them, opens the attempt chain of the failed-over request, and links from the dashboard', async () => {
    const page = await c.open({ locale: 'zh-CN' })
    await page.goto(`${c.server.url}/logs`)
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('请求日志')
    const api = (await c.server.api('GET', '/api/logs')).body
    const rows = page.locator('[data-test="logs-table"] tbody tr')
    await expect.poll(() => rows.count()).toBe(api.items.length)
    expect(await page.locator('[data-test="log-count"]').textContent()).toContain(String(api.total))

    // Retried attempts only: the one 429.
    await page.locator('[data-test="filter-type"]').click()
    await page.locator('.n-base-select-option', { hasText: '已重试' }).click()
    await page.waitForURL(/type=retry/)
    await expect.poll(() => rows.count()).toBe(1)
    const retry = (await c.server.api('GET', '/api/logs?type=retry')).body.items[0]
    expect(await rows.first().textContent()).toContain('429')

    // Its drawer shows both attempts of that request, oldest first, keys masked.
    await rows.first().click()
    const attempts = page.locator('[data-test="log-attempts"] li')
    await expect.poll(() => attempts.count()).toBe(2)
    expect(await attempts.nth(0).textContent()).toContain('429')
    expect(await attempts.nth(1).textContent()).toContain('200')
    expect(await page.locator('[data-test="log-detail"]').textContent()).toContain(retry.keyMasked)
    expect(await page.content()).not.toContain(KEYS[0])
    await page.keyboard.press('Escape')

    // The CSV export carries the filter.
    const href = await page.locator('[data-test="logs-export"]').getAttribute('href')
    expect(href).toContain('type=retry')
    const csv = await page.evaluate(async h => (await fetch(h!)).text(), href)
    expect(csv.trim().split('\n')).toHaveLength(2)
    expect(csv).toContain(retry.requestId)

    // The request-id filter, typed: the chain again, in the table.
    await page.locator('[data-test="filter-reset"]').click()
    await page.locator('input[name="requestId"]').fill(retry.requestId)
    await page.locator('input[name="requestId"]').press('Enter')
    await page.waitForURL(/requestId=/)
    await expect.poll(() => rows.count()).toBe(2)
    await page.locator('[data-test="filter-reset"]').click()
    await expect.poll(() => rows.count()).toBe(api.items.length)
    await switchLanguage(page, 'en')
    await checkThemes(page, 'logs')

    // The dashboard's failure count links here, filtered to failed final requests.
    await page.goto(`${c.server.url}/`)
    await page.locator('[data-test="failures-link"]').click()
    await page.waitForURL(u => u.pathname === '/logs' && u.searchParams.get('success') === 'false' && u.searchParams.get('type') === 'final')
    await expect.poll(() => page.locator('[data-test="log-count"]').textContent()).toContain('0')
    await page.close()
  }, 120_000)

  it('a new request appears on the logs page after a refresh', async () => {
    const page = await c.open()
    await page.goto(`${c.server.url}/logs`)
    const rows = page.locator('[data-test="logs-table"] tbody tr')
    const before = (await c.server.api('GET', '/api/logs')).body.total
    await expect.poll(() => rows.count()).toBe(before)
    expect(await chat(c.server, proxyKey, 1, { model: 'gpt-4o-distinct-model' })).toEqual([200])
    await expect.poll(async () => (await c.server.api('GET', '/api/logs')).body.total, { timeout: 10_000 }).toBe(before + 1)
    await page.locator('[data-test="logs-refresh"]').click()
    await expect.poll(() => rows.first().textContent()).toContain('gpt-4o-distinct-model')
    await page.close()
  }, 60_000)
})
