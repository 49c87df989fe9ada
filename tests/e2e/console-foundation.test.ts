import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserMissing, checkThemes, consoleSuite, expectAccessible, startConsole, switchLanguage, type Console } from './support/console'

const NAV = {
  'en': ['Dashboard', 'Groups', 'Proxy keys', 'Usage', 'Logs', 'Route', 'Settings'],
  'zh-CN': ['仪表盘', '分组', '代理密钥', '用量', '日志', '路由', '设置'],
  'ja': ['ダッシュボード', 'グループ', 'プロキシキー', '使用量', 'ログ', 'ルート', '設定'],
}
const PATHS = ['/', '/groups', '/proxy-keys', '/usage', '/logs', '/route', '/settings']

describe.skipIf(browserMissing)(consoleSuite('layout, language and theme'), () => {
  let c: Console
  beforeAll(async () => { c = await startConsole() })
  afterAll(async () => { await c?.close() })

  it('links every area from the navigation, in the order of the product', async () => {
    const page = await c.open()
    await page.goto(`${c.server.url}/`)
    const links = page.locator('[data-test="nav"] a')
    await expect.poll(() => links.allTextContents()).toEqual(NAV.en)
    const hrefs = await links.evaluateAll(as => as.map(a => new URL((a as HTMLAnchorElement).href).pathname))
    expect(hrefs).toEqual(PATHS)
    await page.locator('[data-test="nav-settings"]').click()
    await page.waitForURL(/\/settings$/)
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('Settings')
    await page.close()
  })

  it('switches the language from the header, keeps it over a reload and in a new tab, and labels the page with it', async () => {
    const page = await c.open()
    await page.goto(`${c.server.url}/`)
    await expect.poll(() => page.locator('[data-test="nav"] a').allTextContents()).toEqual(NAV.en)
    await switchLanguage(page, 'zh-CN')
    await expect.poll(() => page.locator('[data-test="nav"] a').allTextContents()).toEqual(NAV['zh-CN'])
    expect(await page.locator('[data-test="logout"]').textContent()).toContain('退出登录')
    await page.reload()
    await expect.poll(() => page.locator('[data-test="nav"] a').allTextContents()).toEqual(NAV['zh-CN'])
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN')

    const second = await page.context().newPage()
    await second.goto(`${c.server.url}/`)
    await expect.poll(() => second.locator('[data-test="nav"] a').allTextContents()).toEqual(NAV['zh-CN'])
    await switchLanguage(second, 'ja')
    await expect.poll(() => second.locator('[data-test="nav"] a').allTextContents()).toEqual(NAV.ja)
    await expect.poll(() => second.title()).toContain('ダッシュボード')
    await second.close()
    await page.close()
  })

  it('follows the system theme until the user picks one, and remembers the pick', async () => {
    const page = await c.open()
    await page.goto(`${c.server.url}/`)
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme)
    const background = () => page.evaluate(() => getComputedStyle(document.querySelector('.n-layout')!).backgroundColor)
    await page.locator('.n-layout').first().waitFor()
    await expect.poll(theme).toBe('light')
    const light = await background()
    await page.emulateMedia({ colorScheme: 'dark' })
    await expect.poll(theme).toBe('dark')
    await expect.poll(background).not.toBe(light)

    // A choice beats the system, and survives a reload.
    await page.locator('[data-test="theme"]').click()
    await page.locator('[data-test="theme-light"]').click()
    await expect.poll(theme).toBe('light')
    await page.reload()
    await expect.poll(theme).toBe('light')
    expect(await page.locator('[data-test="theme"]').textContent()).toContain('Light')
    await page.locator('[data-test="theme"]').click()
    await page.locator('[data-test="theme-system"]').click()
    await expect.poll(theme).toBe('dark')
    await page.emulateMedia({ colorScheme: 'light' })
    await expect.poll(theme).toBe('light')
    await page.close()
  })

  it('sends a page whose session ended to the login page, and back to it after signing in', async () => {
    const page = await c.open()
    await page.goto(`${c.server.url}/settings`)
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('Settings')
    await page.context().clearCookies()
    await page.locator('[data-test="nav-proxy-keys"]').click()
    await page.waitForURL(u => u.pathname === '/login' && u.searchParams.get('next') === '/proxy-keys')
    await page.locator('input[name="authKey"]').fill('test-admin-key-0123456789')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/proxy-keys$/)
    await page.close()
  })

  it('never follows a sign-in `next` that leaves the site', async () => {
    const page = await c.open()
    await page.context().clearCookies()
    await page.goto(`${c.server.url}/login?next=//example.com/x`)
    await page.locator('input[name="authKey"]').fill('test-admin-key-0123456789')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${c.server.url}/`)
    await page.close()
  })

  it('the login page and the shell pass axe in both themes, in English and Japanese', async () => {
    const page = await c.open()
    await page.context().clearCookies()
    await page.goto(`${c.server.url}/login`)
    await page.locator('input[name="authKey"]').waitFor()
    await checkThemes(page, 'login')
    await page.close()
    const ja = await c.open({ locale: 'ja' })
    await ja.goto(`${c.server.url}/`)
    await expect.poll(() => ja.locator('[data-test="nav"] a').allTextContents()).toEqual(NAV.ja)
    await expectAccessible(ja, 'the shell in Japanese')
    await ja.close()
  }, 90_000)
})
