import { readFileSync } from 'node:fs'
import OpenAI from 'openai'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CHANNELS } from '../../shared/channels'
import { browserMissing, checkThemes, consoleSuite, startConsole, type Console } from './support/console'

const KEYS = ['sk-console-upstream-key-aaaaaaaa1111', 'sk-console-upstream-key-bbbbbbbb2222', 'sk-console-upstream-key-cccccccc3333']
const masked = (k: string) => `${k.slice(0, 5)}…${k.slice(-4)}`

/** The request bodies the mock upstream saw for chat completions, newest last. */
const upstreamModels = (c: Console) => c.upstream.requests.filter(r => r.path.endsWith('/chat/completions')).map(r => r.json?.model as string)

async function groupByName(c: Console, name: string) {
  const r = await c.server.api('GET', '/api/groups?pageSize=500')
  return r.body.items.find((g: { name: string }) => g.name === name)
}

async function waitForTask(page: Page) {
  await expect.poll(() => page.locator('[data-test="task-progress"]').textContent(), { timeout: 20_000 }).toMatch(/done|完成|完了/)
}

describe.skipIf(browserMissing)(consoleSuite('groups and keys'), () => {
  let c: Console
  beforeAll(async () => {
    // A page on a busy machine can take longer than expect.poll's default second to draw.
    vi.setConfig({ expect: { poll: { timeout: 15_000, interval: 100 } } })
    c = await startConsole()
  }, 60_000)
  afterAll(async () => { await c?.close() })

  it('creates a group with every kind of field, refusing bad input before sending, and shows copyable endpoints on this address', async () => {
    const page = await c.open()
    const sent: string[] = []
    page.on('request', (r) => { if (r.url().includes('/api/groups') && r.method() !== 'GET') sent.push(`${r.method()} ${new URL(r.url()).pathname}`) })
    await page.goto(`${c.server.url}/groups`)
    await page.locator('[data-test="new-group"]').click()
    await expect.poll(() => page.locator('input[name="upstream-0"]').inputValue()).toBe(CHANNELS[0].defaultUpstream)
    // The channel list is the shared one.
    await page.locator('[data-test="channel-select"]').click()
    await expect.poll(() => page.locator('.n-base-select-option').allTextContents()).toEqual(CHANNELS.map(ch => ch.label))
    await page.locator('.n-base-select-option:visible').filter({ hasText: /^OpenAI$/ }).click()

    // The shared schema's messages, next to their fields, before anything is sent.
    await page.locator('input[name="name"]').fill('Bad Name')
    await page.locator('input[name="upstream-0"]').fill('ftp://example.com')
    await page.locator('[data-test="save-group"]').click()
    await expect.poll(() => page.getByText('must be 1-100 characters of a-z, 0-9, _ and -').count()).toBe(1)
    await expect.poll(() => page.getByText('must be an http:// or https:// URL').count()).toBe(1)
    expect(sent).toEqual([])

    await page.locator('input[name="name"]').fill('console-oa')
    await page.locator('input[name="upstream-0"]').fill(c.upstream.url)
    await page.locator('[data-test="add-upstream"]').click()
    await page.locator('input[name="upstream-1"]').fill('http://127.0.0.1:9')
    await page.locator('input[name="upstream-weight-1"]').fill('0')
    await page.locator('.n-tabs-tab[data-name="routing"]').click()
    await page.locator('input[name="models"]').fill('gpt-4o-mini, o3')
    await page.locator('[data-test="add-redirect"]').click()
    await page.locator('input[name="redirect-from-0"]').fill('o3')
    await page.locator('input[name="redirect-to-0"]').fill('o3-2025-04-16')
    await page.locator('textarea[name="paramOverrides"]').fill('[1, 2]')
    await page.locator('[data-test="add-header"]').click()
    await page.locator('input[name="header-name-0"]').fill('x-team')
    await page.locator('input[name="header-value-0"]').fill('console')
    await page.locator('[data-test="save-group"]').click()
    await expect.poll(() => page.getByText('must be a JSON object').count()).toBe(1)
    expect(sent).toEqual([])
    await page.locator('textarea[name="paramOverrides"]').fill('{"temperature": 0.2}')

    // A per-group override shows the global value beside the one that applies.
    await page.locator('.n-tabs-tab[data-name="settings"]').click()
    const retries = page.locator('[data-test="config-max_retries"]')
    await expect.poll(() => retries.locator('[data-test="global"]').textContent()).toBe('3')
    await retries.locator('[data-test="override-max_retries"]').click()
    await page.locator('input[name="config-max_retries"]').fill('7')
    await page.locator('input[name="config-max_retries"]').blur()
    await expect.poll(() => retries.locator('[data-test="effective"]').textContent()).toBe('7')
    await page.locator('[data-test="save-group"]').click()
    await page.waitForURL(/\/groups\/\d+$/)
    expect(sent).toEqual(['POST /api/groups'])

    const g = await groupByName(c, 'console-oa')
    expect(g.upstreams).toEqual([{ url: c.upstream.url, weight: 1 }, { url: 'http://127.0.0.1:9', weight: 0 }])
    expect(g.models).toEqual(['gpt-4o-mini', 'o3'])
    expect(g.modelRedirects).toEqual({ o3: 'o3-2025-04-16' })
    expect(g.paramOverrides).toEqual({ temperature: 0.2 })
    expect(g.headerRules).toEqual([{ name: 'x-team', value: 'console', action: 'set' }])
    expect(g.config).toEqual({ max_retries: 7 })

    // The endpoint is where this console was opened (app_url unset), not the server's default guess.
    await expect.poll(() => page.locator('[data-test="endpoint"]').textContent()).toBe(`${c.server.url}/proxy/console-oa`)
    expect(await page.locator('[data-test="snippet-openai"]').textContent()).toContain(`baseURL: "${c.server.url}/proxy/console-oa/v1"`)
    expect(await page.locator('[data-test="snippet-openai"]').textContent()).toContain('"gpt-4o-mini"')
    for (const kind of ['anthropic', 'gemini', 'curl']) {
      await page.locator(`.n-tabs-tab[data-name="${kind}"]`).click()
      await expect.poll(() => page.locator(`[data-test="snippet-${kind}"]`).textContent()).toContain(c.server.url)
    }
    await expect.poll(() => page.locator('[data-test="snippet-curl"]').textContent()).toContain(`curl ${c.server.url}/proxy/console-oa/v1/chat/completions`)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.locator('[data-test="copy-endpoint"]').click()
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`${c.server.url}/proxy/console-oa`)
    await page.close()
  }, 240_000)

  it('adds keys by text and from a dropped .txt with progress, shows each key\'s detail, exports behind a warning', async () => {
    const page = await c.open()
    const g = await groupByName(c, 'console-oa')
    await page.goto(`${c.server.url}/groups/${g.id}`)
    await page.locator('textarea[name="newKeys"]').fill(`${KEYS[0]}\n${KEYS[1]}, ${KEYS[0]}`)
    await page.locator('[data-test="add-keys"]').click()
    await waitForTask(page)
    await expect.poll(() => page.locator('[data-test="key-counts"]').textContent()).toContain('2 (2 active')

    const extra = Array.from({ length: 120 }, (_, i) => `sk-upload-${String(i).padStart(4, '0')}-zzzzzzzzzzzz`)
    await page.locator('input[type="file"]').setInputFiles({
      name: 'keys.txt', mimeType: 'text/plain', buffer: Buffer.from(`${[KEYS[2], ...extra, KEYS[1]].join('\n')}\n`),
    })
    await waitForTask(page)
    await expect.poll(() => page.locator('[data-test="key-counts"]').textContent()).toContain('123 (123 active')
    const stats = await c.server.api('GET', `/api/groups/${g.id}/stats`)
    expect(stats.body.keys.total).toBe(123)

    const table = page.locator('[data-test="keys-table"]')
    await expect.poll(() => table.locator('tbody tr').count()).toBe(50)
    await expect.poll(() => page.locator('.n-pagination-prefix').textContent()).toContain('123 keys')
    expect(await page.content()).not.toContain(KEYS[0])

    // A request through the gateway shows on the key's counters in its detail.
    const proxyKey = (await c.server.api('POST', '/api/proxy-keys', { name: 'detail' })).body.key
    const client = new OpenAI({ baseURL: `${c.server.url}/proxy/console-oa/v1`, apiKey: proxyKey })
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    const used = c.upstream.requests.at(-1)!.key
    const usedRow = (await c.server.api('GET', `/api/groups/${g.id}/keys?q=${encodeURIComponent(used)}`)).body.items[0]
    await expect.poll(async () => (await c.server.api('GET', `/api/groups/${g.id}/keys?q=${encodeURIComponent(used)}`)).body.items[0].requestCount, { timeout: 10_000 }).toBe(1)
    await page.locator('input[name="keySearch"]').fill(used)
    await page.locator('input[name="keySearch"]').press('Enter')
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1)
    await table.locator('[data-test="key-detail"]').click()
    const drawer = page.locator('[data-test="key-drawer"]')
    await expect.poll(() => drawer.locator('[data-test="detail-requests"]').textContent()).toBe('1')
    expect(await drawer.locator('[data-test="detail-status"]').textContent()).toBe('active')
    await drawer.locator('textarea[name="keyNotes"]').fill('team A')
    await drawer.locator('[data-test="save-notes"]').click()
    await expect.poll(async () => (await c.server.api('GET', `/api/groups/${g.id}/keys?q=${encodeURIComponent(used)}`)).body.items[0].notes).toBe('team A')
    expect(usedRow.masked).toBe(masked(used))
    await page.keyboard.press('Escape')

    // Export asks first; cancelling downloads nothing, going ahead downloads every key in plain text.
    await page.locator('[data-test="export-keys"]').click()
    await page.locator('[data-test="export-all"]').click()
    await page.locator('[data-test="confirm-no"]').click()
    await page.locator('[data-test="export-keys"]').click()
    await page.locator('[data-test="export-active"]').click()
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test="confirm-yes"]').click()])
    const text = readFileSync((await download.path())!, 'utf8')
    expect(text.trim().split('\n').sort()).toEqual([...KEYS, ...extra].sort())

    await page.locator('input[name="keySearch"]').fill('')
    await page.locator('input[name="keySearch"]').press('Enter')
    await expect.poll(() => table.locator('tbody tr').count()).toBe(50)
    await checkThemes(page, 'group', () => page.locator('[data-test="snippets"]').waitFor())
    await page.close()
  }, 240_000)

  it('selects every key matching a filter across pages and acts on all of them, after a confirmation naming how many', async () => {
    const page = await c.open()
    const g = await groupByName(c, 'console-oa')
    await page.goto(`${c.server.url}/groups/${g.id}`)
    const table = page.locator('[data-test="keys-table"]')
    await expect.poll(() => table.locator('tbody tr').count()).toBe(50)
    // Two keys picked on the page, disabled one request each.
    await table.locator('tbody tr').nth(0).locator('.n-checkbox').click()
    await table.locator('tbody tr').nth(1).locator('.n-checkbox').click()
    await expect.poll(() => page.locator('[data-test="bulk-count"]').textContent()).toContain('2 keys selected')
    await page.locator('[data-test="bulk-disable"]').click()
    await expect.poll(async () => (await c.server.api('GET', `/api/groups/${g.id}/keys?status=disabled`)).body.total).toBe(2)

    // Every active key (121, more than a page), deleted after a confirmation that names the number.
    await page.locator('[data-test="status-filter"]').click()
    await page.locator('.n-base-select-option:visible').filter({ hasText: /^active$/ }).click()
    await expect.poll(() => page.locator('.n-pagination-prefix').textContent()).toContain('121 keys')
    await table.locator('thead .n-checkbox').click()
    await page.locator('[data-test="select-all-matching"]').click()
    await expect.poll(() => page.locator('[data-test="bulk-count"]').textContent()).toContain('All 121 matching keys selected')
    await page.locator('[data-test="bulk-delete"]').click()
    await expect.poll(() => page.locator('.n-dialog').textContent()).toContain('Delete all 121 active keys of this group?')
    await page.locator('[data-test="confirm-yes"]').click()
    await waitForTask(page)
    const stats = await c.server.api('GET', `/api/groups/${g.id}/stats`)
    expect(stats.body.keys).toMatchObject({ total: 2, active: 0, disabled: 2 })
    await expect.poll(() => page.locator('[data-test="key-counts"]').textContent()).toContain('2 (0 active')
    await page.close()
  }, 180_000)

  it('in Chinese: an edited model redirect routes the next SDK request as edited', async () => {
    const g = await groupByName(c, 'console-oa')
    await c.server.api('POST', `/api/groups/${g.id}/keys`, { keys: KEYS.join('\n') })
    await expect.poll(async () => (await c.server.api('GET', `/api/groups/${g.id}/stats`)).body.keys.active, { timeout: 10_000 }).toBe(1)
    const proxyKey = (await c.server.api('POST', '/api/proxy-keys', { name: 'sdk' })).body.key
    const client = new OpenAI({ baseURL: `${c.server.url}/v1`, apiKey: proxyKey })
    const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    await ask()
    expect(upstreamModels(c).at(-1)).toBe('gpt-4o-mini')

    const page = await c.open({ locale: 'zh-CN' })
    await page.goto(`${c.server.url}/groups/${g.id}`)
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('分组：console-oa')
    await page.locator('[data-test="edit-group"]').click()
    await page.locator('.n-tabs-tab[data-name="routing"]').click()
    await page.locator('[data-test="add-redirect"]').click()
    await page.locator('input[name="redirect-from-1"]').fill('gpt-4o-mini')
    await page.locator('input[name="redirect-to-1"]').fill('gpt-4o-mini-2024-07-18')
    await page.locator('[data-test="save-group"]').click()
    await expect.poll(() => page.locator('[data-test="redirects"]').textContent()).toContain('gpt-4o-mini → gpt-4o-mini-2024-07-18')
    // The edit reached the proxy: the same SDK call now goes upstream under the redirected name.
    await expect.poll(async () => { await ask(); return upstreamModels(c).at(-1) }, { timeout: 10_000 }).toBe('gpt-4o-mini-2024-07-18')
    expect((await groupByName(c, 'console-oa')).modelRedirects).toEqual({ 'o3': 'o3-2025-04-16', 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' })
    await page.close()
  }, 180_000)

  it('in Chinese: reorders, disables, copies with keys, builds an aggregate with weights, and deletes naming what goes', async () => {
    await c.server.api('POST', '/api/groups', { name: 'second', channel: 'openai', upstreams: [{ url: c.upstream.url, weight: 1 }] })
    const page = await c.open({ locale: 'zh-CN' })
    await page.goto(`${c.server.url}/groups`)
    const names = () => page.locator('[data-test="groups-table"] [data-test="group-link"]').allTextContents()
    await expect.poll(names).toEqual(['console-oa', 'second'])
    await expect.poll(() => page.locator('[data-test="page-title"]').textContent()).toBe('分组')

    // Drag the second row onto the first.
    await page.locator('[data-test="group-row-second"]').dragTo(page.locator('[data-test="group-row-console-oa"]'))
    await expect.poll(async () => (await c.server.api('GET', '/api/groups')).body.items.map((x: { name: string }) => x.name)).toEqual(['second', 'console-oa'])
    await expect.poll(names).toEqual(['second', 'console-oa'])
    // And back from the keyboard.
    await page.getByRole('button', { name: '上移 console-oa' }).click()
    await expect.poll(async () => (await c.server.api('GET', '/api/groups')).body.items.map((x: { name: string }) => x.name)).toEqual(['console-oa', 'second'])

    await page.locator('[data-test="enabled-second"]').click()
    await expect.poll(async () => (await groupByName(c, 'second')).enabled).toBe(false)

    // Copy with the active keys only.
    await page.locator('[data-test="copy-console-oa"]').click()
    await page.locator('input[name="copyName"]').fill('console-copy')
    await page.locator('[data-test="copy-keys-active"]').click()
    await page.locator('[data-test="copy-submit"]').click()
    await page.waitForURL(/\/groups\/\d+$/)
    const copy = await groupByName(c, 'console-copy')
    const copyStats = await c.server.api('GET', `/api/groups/${copy.id}/stats`)
    expect(copyStats.body.keys).toMatchObject({ total: 1, active: 1 })
    expect(copy.modelRedirects).toEqual((await groupByName(c, 'console-oa')).modelRedirects)

    // An aggregate over two groups, with weights.
    await page.goto(`${c.server.url}/groups`)
    await page.locator('[data-test="new-aggregate"]').click()
    await page.locator('input[name="name"]').fill('pool')
    await page.locator('[data-test="save-group"]').click()
    await expect.poll(() => page.getByText('请选择分组').count()).toBeGreaterThan(0)
    await page.locator('[data-test="member-0"]').click()
    await page.locator('.n-base-select-option:visible').filter({ hasText: /^console-oa$/ }).click()
    await page.locator('input[name="group-weight-0"]').fill('3')
    await page.locator('[data-test="add-group"]').click()
    await page.locator('[data-test="member-1"]').click()
    await page.locator('.n-base-select-option:visible').filter({ hasText: /^console-copy$/ }).click()
    await page.locator('[data-test="save-group"]').click()
    await page.waitForURL(/\/groups\/\d+$/)
    const pool = await groupByName(c, 'pool')
    expect(pool.type).toBe('aggregate')
    expect(pool.subGroups).toEqual([{ groupId: (await groupByName(c, 'console-oa')).id, weight: 3 }, { groupId: copy.id, weight: 1 }])
    await expect.poll(() => page.locator('[data-test="sub-groups"]').textContent()).toBe('console-oa (3), console-copy (1)')

    // Deleting names the group, its keys and the aggregate that loses it; cancelling keeps everything.
    await page.goto(`${c.server.url}/groups`)
    await page.locator('[data-test="delete-console-copy"]').click()
    await expect.poll(() => page.locator('.n-dialog').textContent()).toContain('删除分组 console-copy 及其 1 个密钥？')
    expect(await page.locator('.n-dialog').textContent()).toContain('聚合分组 pool 将失去这个子分组。')
    await page.locator('[data-test="confirm-no"]').click()
    expect(await groupByName(c, 'console-copy')).toBeTruthy()
    await page.locator('[data-test="delete-console-copy"]').click()
    await page.locator('[data-test="confirm-yes"]').click()
    await expect.poll(async () => await groupByName(c, 'console-copy')).toBeUndefined()
    expect((await groupByName(c, 'pool')).subGroups).toEqual([{ groupId: (await groupByName(c, 'console-oa')).id, weight: 3 }])
    await expect.poll(names).toEqual(['console-oa', 'second', 'pool'])
    // The "deleted" notice fades out first: axe would measure its colours halfway through the fade.
    await page.locator('.n-message').waitFor({ state: 'detached', timeout: 15_000 })
    await checkThemes(page, 'groups', () => page.locator('[data-test="groups-table"]').waitFor())
    await page.close()
  }, 240_000)
})
