import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMysqlDatabase } from '../../support/backends'
import { testEnv } from '../../support/env'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { seed } from '../../support/proxySeed'
import { startServer, type RunningServer } from '../../support/server'
import { awayFromMinuteEdge } from './support'

/**
 * Two instances on one MariaDB and one Redis: proxy-key limits and upstream-key pacing hold
 * across both, because every counter is one atomic Redis call.
 */
const enabled = !!testEnv.mysqlUrl && !!testEnv.redisUrl
let mock: MockUpstream
let a: RunningServer
let b: RunningServer
let drop: (() => Promise<void>) | undefined
let keys: string[] = []
const UPSTREAM = ['sk-limits-cluster-upstream-00001', 'sk-limits-cluster-upstream-00002']

describe.skipIf(!enabled)(`limits across two instances${enabled ? '' : ' (skipped: set KEYGATE_TEST_MYSQL_URL and KEYGATE_TEST_REDIS_URL to run it)'}`, () => {
  beforeAll(async () => {
    mock = await startMockUpstream()
    const db = await createMysqlDatabase('limits')
    drop = db.drop
    const env = { DATABASE_DSN: db.url, REDIS_DSN: testEnv.redisUrl, REDIS_KEY_PREFIX: `${db.url.split('/').pop()}:`, ENCRYPTION_KEY: 'limits-cluster-encryption-key-01' }
    a = await startServer({ env })
    const s = await seed(a, [
      { name: 'c', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['gpt-4o-mini'], keys: [UPSTREAM[0]!] },
      { name: 'paced', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['paced-model'], keys: [UPSTREAM[1]!], config: { key_rpm: 4 } },
    ], [
      { name: 'ten', rpm: 10, groups: ['c'] },
      { name: 'budget', groups: ['c'], extra: { budgetTokens: 18 * 5, budgetPeriod: 'week' } },
      { name: 'pacing', groups: ['paced'] },
      { name: 'free', groups: ['c'] },
    ])
    keys = s.proxyKeys
    b = await startServer({ env })
    // b loads the proxy keys at boot; wait until it answers for the last one.
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${b.url}/v1/models`, { headers: { authorization: `Bearer ${keys.at(-1)}` } })).status === 200) break
      await new Promise(r => setTimeout(r, 50))
    }
  }, 120_000) // two instances booting on a busy machine
  afterAll(async () => {
    await b?.stop()
    await a?.stop()
    await mock?.close()
    await drop?.()
  })

  const client = (server: RunningServer, key: string) => new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 })
  const chat = (server: RunningServer, key: string, model = 'gpt-4o-mini') =>
    client(server, key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).then(() => 200, (e: any) => e.status as number)

  it('a limit of 10 rpm admits exactly 10 across both instances', async () => {
    await awayFromMinuteEdge()
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(i % 2 ? a : b, keys[0]!)))
    expect(results.filter(s => s === 200)).toHaveLength(10)
    expect(results.filter(s => s === 429)).toHaveLength(20)
  })

  it('a token budget spent on one instance is spent on the other', async () => {
    const got: number[] = []
    for (let i = 0; i < 8; i++) got.push(await chat(i % 2 ? a : b, keys[1]!))
    // 18 tokens an answer, budget 90: five answers, then 403 on both instances. The fifth answer's
    // spend is counted just after its last byte, so the request sent right after it may still pass
    // on a busy machine (the in-flight overshoot the README describes); the ones after never do.
    expect(got.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
    expect([200, 403]).toContain(got[5])
    expect(got.slice(6)).toEqual([403, 403])
  })

  it('a price edit on one instance prices the other\'s requests; usage sums them on MariaDB', async () => {
    const put = await a.api('PUT', '/api/prices', { prices: [{ model: 'gpt-4o-mini', input: 1, cachedInput: 0.5, cacheWrite: 0, output: 2 }] })
    expect(put.status).toBe(200)
    await new Promise(r => setTimeout(r, 500))
    expect(await chat(b, keys[3]!)).toBe(200)
    const want = (8 * 1 + 3 * 0.5 + 7 * 2) / 1e6
    const list = await a.api('GET', '/api/proxy-keys?q=free')
    const id = list.body.items[0].id
    for (let i = 0; i < 50; i++) {
      const u = await a.api('GET', `/api/proxy-keys/${id}/usage`)
      if (u.body.used?.requests === 1) break
      await new Promise(r => setTimeout(r, 100))
    }
    const usage = await a.api('GET', `/api/proxy-keys/${id}/usage`)
    expect(usage.body.used.requests).toBe(1)
    expect(usage.body.used.cost).toBeCloseTo(want, 12)
    const byKey = await a.api('GET', '/api/usage?groupBy=proxyKey')
    expect(byKey.body.items.find((r: any) => r.name === 'free').cost).toBeCloseTo(want, 12)
    const csv = await fetch(`${a.url}/api/usage?groupBy=group&format=csv`, { headers: { authorization: 'Bearer test-admin-key-0123456789' } })
    expect((await csv.text()).split('\n')[0]).toBe('key,name,requests,failures,promptTokens,completionTokens,cachedTokens,cost,unpriced')
  })

  it('key_rpm paces an upstream key across both instances: the upstream sees no more than the limit', async () => {
    await awayFromMinuteEdge()
    const before = mock.requests.filter(r => r.key === UPSTREAM[1]).length
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => chat(i % 2 ? a : b, keys[2]!, 'paced-model')))
    expect(mock.requests.filter(r => r.key === UPSTREAM[1]).length - before).toBe(4)
    expect(results.filter(s => s === 200)).toHaveLength(4)
    expect(results.filter(s => s === 429)).toHaveLength(4)
  })
})
