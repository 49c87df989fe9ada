import Anthropic from '@anthropic-ai/sdk'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MOCK_USAGE, startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { seed } from '../../support/proxySeed'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type RunningServer } from '../../support/server'
import { finalLogs, proxyKeyId } from './support'

/**
 * Cost per request from the seeded price table, checked against prices worked out by hand.
 * The mock answers 11 prompt tokens (3 of them cached) and 7 completion tokens; Anthropic
 * reports the uncached 8 apart, and, when asked, cache writes too.
 */
const { promptTokens: P, completionTokens: C, cachedTokens: K } = MOCK_USAGE
const per = (input: number, cached: number, output: number, write = 0, written = 0) =>
  ((P - K) * input + K * cached + written * write + C * output) / 1e6
const PRICE = {
  openai: per(0.15, 0.075, 0.6), // gpt-4o-mini*
  anthropic: per(0.8, 0.08, 4), // claude-3-5-haiku*
  anthropicWrite: per(0.8, 0.08, 4, 1, 100), // the same with 100 cache-write tokens at $1
  gemini: per(0.1, 0.025, 0.4), // gemini-2.0-flash*
  halfPrice41: per(2, 0.5, 8) * 0.5, // gpt-4.1* in a group with priceMultiplier 0.5
}

let mock: MockUpstream
let server: RunningServer
let pk = ''
/** Our own data dir, so the server can restart on it. */
const dataDir = mkdtempSync(join(tmpdir(), 'keygate-cost-'))

beforeAll(async () => {
  mock = await startMockUpstream()
  server = await startServer({ dataDir })
  const s = await seed(server, [
    { name: 'oa', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['gpt-4o-mini', 'my-local-model'], keys: ['sk-cost-upstream-oa-000000000001'] },
    { name: 'resold', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['gpt-4.1'], keys: ['sk-cost-upstream-rs-000000000001'] },
    { name: 'an', channel: 'anthropic', upstreams: [{ url: mock.url, weight: 1 }], models: ['claude-3-5-haiku-latest'], keys: ['sk-ant-cost-upstream-00000000001'] },
    { name: 'ge', channel: 'gemini', upstreams: [{ url: mock.url, weight: 1 }], models: ['gemini-2.0-flash'], keys: ['AIza-cost-upstream-ge-0000000001'] },
  ], [{ name: 'costs' }])
  pk = s.proxyKeys[0]!
  const r = await server.api('PATCH', `/api/groups/${s.groupIds.resold}`, { priceMultiplier: 0.5 })
  expect(r.status).toBe(200)
  await new Promise(res => setTimeout(res, 300))
})
afterAll(async () => { await server?.stop(); await mock?.close(); rmSync(dataDir, { recursive: true, force: true }) })

const openai = () => new OpenAI({ apiKey: pk, baseURL: `${server.url}/v1`, maxRetries: 0 })
const anthropic = () => new Anthropic({ apiKey: pk, authToken: null, baseURL: server.url, maxRetries: 0 })
const gemini = () => new GoogleGenAI({ apiKey: pk, httpOptions: { baseUrl: server.url } })
const msg = [{ role: 'user' as const, content: 'hi' }]

it('seeds the providers\' list prices on the first start', async () => {
  const r = await server.api('GET', '/api/prices')
  expect(r.status).toBe(200)
  expect(r.body.currency).toBe('USD')
  const byModel = Object.fromEntries(r.body.items.map((i: any) => [i.model, i]))
  expect(byModel['gpt-4o-mini*']).toMatchObject({ input: 0.15, cachedInput: 0.075, cacheWrite: 0, output: 0.6 })
  expect(byModel['claude-sonnet-4*']).toMatchObject({ input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 })
  expect(byModel['gemini-2.5-pro*']).toMatchObject({ input: 1.25, output: 10 })
})

describe('each answer\'s cost in the request log', () => {
  const cases: [string, () => Promise<unknown>, number, string][] = [
    ['OpenAI plain', () => openai().chat.completions.create({ model: 'gpt-4o-mini', messages: msg }), PRICE.openai, 'gpt-4o-mini'],
    ['OpenAI streamed', async () => {
      const s = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: msg, stream: true, stream_options: { include_usage: true } })
      for await (const _ of s) { /* drain */ }
    }, PRICE.openai, 'gpt-4o-mini'],
    ['OpenAI with a group multiplier', () => openai().chat.completions.create({ model: 'gpt-4.1', messages: msg }), PRICE.halfPrice41, 'gpt-4.1'],
    ['Anthropic plain', () => anthropic().messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: msg }), PRICE.anthropic, 'claude-3-5-haiku-latest'],
    ['Anthropic streamed', async () => {
      const s = await anthropic().messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: msg, stream: true })
      for await (const _ of s) { /* drain */ }
    }, PRICE.anthropic, 'claude-3-5-haiku-latest'],
    ['Anthropic with a cache write', async () => {
      mock.setDefault({ cacheWriteTokens: 100 })
      try {
        const s = await anthropic().messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: msg, stream: true })
        for await (const _ of s) { /* drain */ }
      } finally { mock.setDefault({}) }
    }, PRICE.anthropicWrite, 'claude-3-5-haiku-latest'],
    ['Gemini plain', () => gemini().models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' }), PRICE.gemini, 'gemini-2.0-flash'],
    ['Gemini streamed', async () => {
      for await (const _ of await gemini().models.generateContentStream({ model: 'gemini-2.0-flash', contents: 'hi' })) { /* drain */ }
    }, PRICE.gemini, 'gemini-2.0-flash'],
    ['an unpriced model, at 0', () => openai().chat.completions.create({ model: 'my-local-model', messages: msg }), 0, 'my-local-model'],
  ]
  let n = 0
  for (const [name, run, want, model] of cases) {
    it(name, async () => {
      await run()
      n++
      const logs = await finalLogs(server, await proxyKeyId(server, 'costs'), n)
      const newest = logs[0]
      expect(newest.model).toBe(model)
      expect(newest.status).toBe(200)
      expect(newest.cost).toBeCloseTo(want, 12)
    })
  }

  it('sums cost in /api/usage by model, group, proxy key and day, in JSON and CSV, and lists the unpriced model', async () => {
    const total = 2 * PRICE.openai + PRICE.halfPrice41 + 2 * PRICE.anthropic + PRICE.anthropicWrite + 2 * PRICE.gemini
    // hourly stats are written with the log batch; give the writer a moment.
    await new Promise(res => setTimeout(res, 1500))
    const byModel = await server.api('GET', '/api/usage?groupBy=model')
    expect(byModel.status).toBe(200)
    const rows = Object.fromEntries(byModel.body.items.map((r: any) => [r.key, r]))
    expect(rows['gpt-4o-mini'].cost).toBeCloseTo(2 * PRICE.openai, 12)
    expect(rows['gpt-4o-mini'].requests).toBe(2)
    expect(rows['claude-3-5-haiku-latest'].cost).toBeCloseTo(2 * PRICE.anthropic + PRICE.anthropicWrite, 12)
    expect(rows['my-local-model']).toMatchObject({ cost: 0, unpriced: true, requests: 1 })
    expect(rows['gemini-2.0-flash'].unpriced).toBe(false)
    expect(byModel.body.total.cost).toBeCloseTo(total, 12)

    const byGroup = await server.api('GET', '/api/usage?groupBy=group')
    expect(Object.fromEntries(byGroup.body.items.map((r: any) => [r.name, r.requests]))).toEqual({ oa: 3, resold: 1, an: 3, ge: 2 })
    const byKey = await server.api('GET', '/api/usage?groupBy=proxyKey')
    expect(byKey.body.items).toHaveLength(1)
    expect(byKey.body.items[0]).toMatchObject({ name: 'costs', requests: 9 })
    expect(byKey.body.items[0].cost).toBeCloseTo(total, 12)
    const byDay = await server.api('GET', '/api/usage?groupBy=day')
    expect(byDay.body.items).toHaveLength(1)
    expect(byDay.body.items[0].key).toBe(new Date().toISOString().slice(0, 10))

    const csv = await fetch(`${server.url}/api/usage?groupBy=model&format=csv`, { headers: { authorization: `Bearer ${process.env.KEYGATE_TEST_AUTH ?? 'test-admin-key-0123456789'}` } })
    expect(csv.headers.get('content-type')).toContain('text/csv')
    const lines = (await csv.text()).trim().split('\n')
    expect(lines[0]).toBe('key,name,requests,failures,promptTokens,completionTokens,cachedTokens,cost,unpriced')
    expect(lines.find(l => l.startsWith('my-local-model,'))).toBe('my-local-model,my-local-model,1,0,11,7,3,0,true')

    const prices = await server.api('GET', '/api/prices')
    expect(prices.body.unpriced).toEqual(['my-local-model'])
    const overview = await server.api('GET', '/api/stats/overview')
    expect(overview.body.last24h.cost).toBeCloseTo(total, 12)
    const bad = await server.api('GET', '/api/usage?groupBy=ip')
    expect(bad.status).toBe(400)
  })
})

describe('editing the price table', () => {
  it('reaches the engine at once, refuses bad rows, and is never overwritten by the seed', async () => {
    const bad = await server.api('PUT', '/api/prices', { prices: [{ model: 'x', input: -1, cachedInput: 0, cacheWrite: 0, output: 0 }, { model: 'x', input: 1, cachedInput: 0, cacheWrite: 0, output: 0 }] })
    expect(bad.status).toBe(400)
    const put = await server.api('PUT', '/api/prices', { prices: [{ model: 'my-local-*', input: 1, cachedInput: 0.5, cacheWrite: 0, output: 2 }] })
    expect(put.status).toBe(200)
    expect(put.body.items.map((i: any) => i.model)).toEqual(['my-local-*'])
    await new Promise(res => setTimeout(res, 300))
    await openai().chat.completions.create({ model: 'my-local-model', messages: msg })
    const logs = await finalLogs(server, await proxyKeyId(server, 'costs'), 10)
    expect(logs[0].cost).toBeCloseTo(((P - K) * 1 + K * 0.5 + C * 2) / 1e6, 12)

    // A restart on the same data keeps the admin's table: the seed ran once.
    await server.stop()
    server = await startServer({ dataDir })
    const after = await server.api('GET', '/api/prices')
    expect(after.body.items.map((i: any) => i.model)).toEqual(['my-local-*'])
  })
})
