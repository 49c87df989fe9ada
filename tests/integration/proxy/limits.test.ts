import { afterAll, beforeAll, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { startSeeded, type Seeded } from '../../support/proxySeed'

/**
 * MAX_CONCURRENT_REQUESTS caps proxy requests in flight on an instance (one proxy key may take
 * every slot here: PROXY_KEY_MAX_SHARE=1; the per-key share is tested in abuse.test.ts).
 */
let mock: MockUpstream
let s: Seeded

beforeAll(async () => {
  mock = await startMockUpstream()
  s = await startSeeded([
    { name: 'gem', channel: 'gemini', upstreams: [{ url: mock.url, weight: 1 }], models: ['gemini-2.0-flash'], keys: ['AIza-limits-upstream-000000001'] },
  ], [{}], { env: { MAX_CONCURRENT_REQUESTS: '2', PROXY_KEY_MAX_SHARE: '1' } })
})
afterAll(async () => { await s?.server.stop(); await mock?.close() })

it('past MAX_CONCURRENT_REQUESTS a request gets 429 with Retry-After in the caller\'s shape', async () => {
  mock.setDefault({ delayMs: 500 })
  const ask = () => fetch(`${s.server.url}/v1beta/models/gemini-2.0-flash:generateContent`, {
    method: 'POST', headers: { 'x-goog-api-key': s.proxyKeys[0]!, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [] }),
  })
  const slow = [ask(), ask()]
  await mock.waitFor(() => mock.requests.length === 2)
  const third = await ask()
  expect(third.status).toBe(429)
  expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  expect(await third.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } })
  expect((await Promise.all(slow)).map(r => r.status)).toEqual([200, 200])
  mock.setDefault({})
  expect((await ask()).status).toBe(200)
})
