// The console's keys page on a 1,000,000-key group against a 10-key one, on SQLite: the group is
// seeded straight into the database (1,000 keys imported through the API, then copied under new
// hashes by SQL, so every row decrypts and masks like a real one), then
//   - the API's page 1, a middle page and the last page (50 rows), with and without a status filter;
//   - the page in Chromium: from navigation until the first 50 rows are on screen, and from a
//     click on the pager until the next page is.
// Target: the big group pages within 2x the small one's time, and under 500 ms per page.
//   node bench/checks/console-keys-page.mjs            (needs a build and /usr/bin/chromium)
//   KEYGATE_TEST_BROWSER=/path/to/chromium node bench/checks/console-keys-page.mjs
import { register } from 'tsx/esm/api'
import { check, median, round } from './lib.mjs'

register()
// Debian's Chromium unless told otherwise (tests/support/env reads this when first imported, below).
process.env.KEYGATE_TEST_BROWSER ||= '/usr/bin/chromium'

const N = 1_000_000
const SEED = 1_000
const RUNS = 5

async function timed(fn) {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

export async function run(log = console.log) {
  const { startOn, upstream, waitForTask } = await import('../../tests/support/backends.ts')
  const { launchBrowser } = await import('../../tests/support/browser.ts')
  const { TEST_AUTH_KEY } = await import('../../tests/support/server.ts')
  const s = await startOn('sqlite', 'bench-console-keys')
  const out = []
  let browser
  try {
    const api = s.server.api
    const big = (await api('POST', '/api/groups', { name: 'million', channel: 'openai', upstreams: upstream() })).body.id
    const small = (await api('POST', '/api/groups', { name: 'ten', channel: 'openai', upstreams: upstream() })).body.id
    const keys = n => Array.from({ length: n }, (_, i) => `sk-seed-${i.toString(36).padStart(6, '0')}${'x'.repeat(40)}`).join('\n')
    for (const [gid, n] of [[big, SEED], [small, 10]]) {
      const r = await api('POST', `/api/groups/${gid}/keys`, { keys: keys(n) })
      await waitForTask(s.server, r.body.taskId, 60_000)
    }
    const t0 = Date.now()
    await s.direct.exec(`INSERT INTO api_keys (group_id, key_hash, key_ciphertext, status, notes, request_count, failure_count, consecutive_failures, created_at, updated_at)
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      SELECT group_id, key_hash || '-' || n.i, key_ciphertext,
        CASE WHEN (id + n.i) % 10 = 0 THEN 'invalid' WHEN (id + n.i) % 10 = 1 THEN 'disabled' ELSE 'active' END,
        '', 0, 0, 0, created_at, updated_at
      FROM api_keys, n WHERE group_id = ?`, [N / SEED - 1, big])
    const [{ total }] = await s.direct.query('SELECT COUNT(*) AS total FROM api_keys WHERE group_id = ?', [big])
    log(`  seeded ${total.toLocaleString('en')} keys in ${Math.round((Date.now() - t0) / 1000)} s`)
    if (total !== N) throw new Error(`seeded ${total} keys, wanted ${N}`)

    // The API: medians of RUNS per page.
    const apiPage = async (gid, query) => {
      const times = []
      for (let i = 0; i < RUNS; i++) {
        times.push(await timed(async () => {
          const r = await api('GET', `/api/groups/${gid}/keys?pageSize=50&${query}`)
          if (r.status !== 200 || r.body.items.length === 0) throw new Error(`keys ${query}: HTTP ${r.status}`)
        }))
      }
      return median(times)
    }
    const lastPage = Math.ceil(N / 50)
    const apiFigures = {
      'page 1': await apiPage(big, 'page=1'),
      'page 1, status=invalid': await apiPage(big, 'page=1&status=invalid'),
      'middle page': await apiPage(big, `page=${lastPage / 2}`),
      'last page': await apiPage(big, `page=${lastPage}`),
    }
    const smallPage = await apiPage(small, 'page=1')
    log(`  API (ms, median of ${RUNS}): ${Object.entries(apiFigures).map(([k, v]) => `${k} ${round(v)}`).join(', ')}; 10-key group ${round(smallPage)}`)
    out.push(check('console keys: API page 1 of a 1,000,000-key group (ms, median)', round(apiFigures['page 1']), '< 500', apiFigures['page 1'] < 500))
    out.push(check('console keys: API last page of a 1,000,000-key group (ms, median)', round(apiFigures['last page']), '< 500', apiFigures['last page'] < 500,
      `middle ${round(apiFigures['middle page'])}, invalid-only page 1 ${round(apiFigures['page 1, status=invalid'])}`))

    // The page in Chromium, as a user sees it.
    browser = await launchBrowser()
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const login = await context.request.post(`${s.server.url}/api/auth/login`, { data: { authKey: TEST_AUTH_KEY } })
    if (login.status() !== 200) throw new Error(`login: HTTP ${login.status()}`)
    const page = await context.newPage()
    const rows = page.locator('[data-test="keys-table"] tbody tr')
    const open = async gid => timed(async () => {
      await page.goto(`${s.server.url}/groups/${gid}`)
      await rows.nth((gid === small ? 10 : 50) - 1).waitFor({ timeout: 30_000 })
    })
    const browserFigure = async (gid) => {
      const loads = []
      for (let i = 0; i < RUNS; i++) loads.push(await open(gid))
      return median(loads)
    }
    const bigLoad = await browserFigure(big)
    const smallLoad = await browserFigure(small)
    // Next page on the big group: the pager's "next" button until the first row's id changes.
    const pages = []
    await page.goto(`${s.server.url}/groups/${big}`)
    await rows.nth(49).waitFor()
    for (let i = 0; i < RUNS; i++) {
      const first = await rows.first().getAttribute('data-test')
      pages.push(await timed(async () => {
        await page.locator('.n-pagination-item--button').last().click()
        await page.waitForFunction(prev => document.querySelector('[data-test="keys-table"] tbody tr')?.getAttribute('data-test') !== prev, first)
      }))
    }
    const nextPage = median(pages)
    log(`  Chromium (ms, median of ${RUNS}): open 1,000,000-key group ${round(bigLoad)}, open 10-key group ${round(smallLoad)}, next page ${round(nextPage)}`)
    out.push(check('console keys: open the keys page of a 1,000,000-key group vs a 10-key group (ratio)', round(bigLoad / smallLoad, 2), '< 2', bigLoad / smallLoad < 2,
      `${round(bigLoad)} ms vs ${round(smallLoad)} ms`))
    out.push(check('console keys: next page of a 1,000,000-key group in Chromium (ms, median)', round(nextPage), '< 500', nextPage < 500))
  } finally {
    await browser?.close().catch(() => {})
    await s.stop()
  }
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatChecks } = await import('./run.mjs')
  const checks = await run()
  console.log(formatChecks(checks))
  process.exit(checks.every(c => c.pass !== false) ? 0 : 1)
}
