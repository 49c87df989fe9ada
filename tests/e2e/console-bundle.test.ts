import type { Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserMissing, consoleSuite, startConsole, type Console } from './support/console'

/** The product's budget for the first console load: compressed JavaScript and CSS. */
const BUDGET = 600 * 1024

describe.skipIf(browserMissing)(consoleSuite('first-load size'), () => {
  let c: Console
  beforeAll(async () => { c = await startConsole() })
  afterAll(async () => { await c?.close() })

  it(`the login page and then the dashboard transfer at most ${BUDGET / 1024} KB of compressed JS and CSS`, async () => {
    const page = await c.open()
    await page.context().clearCookies()
    const sizes: { url: string; type: string; bytes: number; encoding: string }[] = []
    const pending: Promise<void>[] = []
    const onFinished = (req: Request) => {
      const type = req.resourceType()
      if (type !== 'script' && type !== 'stylesheet') return
      pending.push((async () => {
        const res = await req.response()
        const s = await req.sizes()
        sizes.push({ url: req.url(), type, bytes: s.responseBodySize, encoding: res?.headers()['content-encoding'] ?? '' })
      })())
    }
    page.on('requestfinished', onFinished)
    await page.goto(`${c.server.url}/login`)
    await page.locator('input[name="authKey"]').fill('test-admin-key-0123456789')
    await page.locator('button[type="submit"]').click()
    await page.waitForURL(`${c.server.url}/`)
    await page.locator('[data-test="stat-requests"]').waitFor()
    await page.waitForLoadState('networkidle')
    // No more reads after this: a late request's sizes() would reject once the page closes.
    page.off('requestfinished', onFinished)
    await Promise.all(pending)
    const total = sizes.reduce((n, s) => n + s.bytes, 0)
    console.log(`first console load: ${sizes.length} JS/CSS files, ${(total / 1024).toFixed(1)} KB compressed`)
    expect(sizes.length).toBeGreaterThan(0)
    // Compressed on the wire: every script and stylesheet past a packet's size came with brotli or gzip
    // (the build leaves files under 1 KB as they are, where compression gains nothing).
    expect(sizes.filter(s => s.bytes > 1400 && !['br', 'gzip'].includes(s.encoding)).map(s => s.url)).toEqual([])
    expect(total).toBeLessThanOrEqual(BUDGET)
    await page.close()
  }, 60_000)
})
