import Anthropic from '@anthropic-ai/sdk'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { seed } from '../../support/proxySeed'
import { startServer, type RunningServer } from '../../support/server'
import { awayFromMinuteEdge, finalLogs, proxyKeyId } from './support'

/**
 * Every proxy-key limit through the built server and the official SDKs, on one instance
 * (SQLite, in-process store). The mock reports 11 prompt (3 cached) and 7 completion tokens per
 * answer: 18 tokens, and at gpt-4o-mini's seeded price (0.15 / 0.075 / 0.60 per 1M)
 * 8 × 0.15 + 3 × 0.075 + 7 × 0.6 = 5.625 µUSD.
 */
const ONE_COST = (8 * 0.15 + 3 * 0.075 + 7 * 0.6) / 1e6

let mock: MockUpstream
let server: RunningServer
let keys: Record<string, string> = {}

const NAMES = ['rpm', 'tpm', 'tokens', 'money', 'ip-out', 'ip-in', 'expired', 'plain'] as const
const groups = (url: string) => [
  { name: 'oa', channel: 'openai' as const, upstreams: [{ url, weight: 1 }], models: ['gpt-4o-mini'], keys: ['sk-limits-upstream-oa-0000000001'] },
  { name: 'an', channel: 'anthropic' as const, upstreams: [{ url, weight: 1 }], models: ['claude-3-5-haiku-latest'], keys: ['sk-ant-limits-upstream-000000001'] },
  { name: 'ge', channel: 'gemini' as const, upstreams: [{ url, weight: 1 }], models: ['gemini-2.0-flash'], keys: ['AIza-limits-upstream-ge-00000001'] },
]

beforeAll(async () => {
  mock = await startMockUpstream()
  server = await startServer()
  const s = await seed(server, groups(mock.url), [
    { name: 'rpm', rpm: 3 },
    { name: 'tpm', extra: { tpm: 30 } },
    { name: 'tokens', extra: { budgetTokens: 40, budgetPeriod: 'day' } },
    { name: 'money', extra: { budgetCost: 4 * ONE_COST - ONE_COST / 2, budgetPeriod: 'month' } },
    { name: 'ip-out', extra: { ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] } },
    { name: 'ip-in', extra: { ipAllowlist: ['10.0.0.0/8', '127.0.0.0/8', '::1'] } },
    { name: 'expired', expiresAt: Date.now() + 1500 },
    { name: 'plain' },
  ])
  keys = Object.fromEntries(NAMES.map((n, i) => [n, s.proxyKeys[i]!]))
})
afterAll(async () => { await server?.stop(); await mock?.close() })

const openai = (k: string) => new OpenAI({ apiKey: k, baseURL: `${server.url}/v1`, maxRetries: 0 })
const anthropic = (k: string) => new Anthropic({ apiKey: k, authToken: null, baseURL: server.url, maxRetries: 0 })
const gemini = (k: string) => new GoogleGenAI({ apiKey: k, httpOptions: { baseUrl: server.url } })
const chat = (k: string) => openai(k).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
const message = (k: string) => anthropic(k).messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
const generate = (k: string) => gemini(k).models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' })

async function rejection(p: Promise<unknown>): Promise<any> {
  try { await p } catch (e) { return e }
  throw new Error('expected the request to be refused')
}

describe('rate limits: 429 with Retry-After in the caller\'s shape', () => {
  it('rpm admits exactly its number per minute (OpenAI SDK)', async () => {
    await awayFromMinuteEdge()
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => chat(keys.rpm!)))
    expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(3)
    const refused = results.filter(r => r.status === 'rejected').map(r => (r as PromiseRejectedResult).reason)
    expect(refused).toHaveLength(3)
    for (const e of refused) {
      expect(e).toBeInstanceOf(OpenAI.RateLimitError)
      expect(e.error).toMatchObject({ message: 'this proxy key allows 3 requests per minute', code: 'rate_limit_exceeded' })
      const retryAfter = Number(e.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      expect(retryAfter).toBeLessThanOrEqual(60)
    }
  })

  it('tpm counts the usage of finished requests and pre-checks the next one with its size (Anthropic SDK)', async () => {
    await awayFromMinuteEdge()
    const upstreamBefore = mock.requests.length
    await message(keys.tpm!) // 18 tokens counted
    const e = await rejection(message(keys.tpm!)) // 18 + this body's ~25 > 30
    expect(e).toBeInstanceOf(Anthropic.RateLimitError)
    expect(e.error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'this proxy key allows 30 tokens per minute' } })
    expect(Number(e.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(mock.requests.length - upstreamBefore).toBe(1)
  })
})

describe('budgets: 403 once spent', () => {
  it('a token budget runs out mid-burst and stays spent (Gemini SDK)', async () => {
    const got: (number | string)[] = []
    for (let i = 0; i < 5; i++) {
      try { await generate(keys.tokens!); got.push(200) } catch (e: any) { got.push(e.status); expect(e.message).toContain('this proxy key has used its budget of 40 tokens this day') }
    }
    // 0 and 18 and 36 are under 40: three answers; at 54 the budget is spent.
    expect(got).toEqual([200, 200, 200, 403, 403])
    const r = await fetch(`${server.url}/v1beta/models/gemini-2.0-flash:generateContent`, {
      method: 'POST', headers: { 'x-goog-api-key': keys.tokens!, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [] }),
    })
    expect(r.status).toBe(403)
    expect(await r.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } })
    expect(r.headers.get('retry-after')).toBeNull()
  })

  it('a money budget is charged with each answer\'s cost and refuses once reached', async () => {
    const got: number[] = []
    for (let i = 0; i < 6; i++) {
      try { await chat(keys.money!); got.push(200) } catch (e: any) { got.push(e.status); expect(e.error.code).toBe('budget_exceeded') }
    }
    // Budget 3.5 answers' worth: after 4 it is spent.
    expect(got).toEqual([200, 200, 200, 200, 403, 403])
    const id = await proxyKeyId(server, 'money')
    const usage = await server.api('GET', `/api/proxy-keys/${id}/usage`)
    expect(usage.status).toBe(200)
    expect(usage.body.period).toBe('month')
    expect(usage.body.enforced.cost).toBeCloseTo(4 * ONE_COST, 12)
    expect(usage.body.remaining.cost).toBe(0)
    expect(new Date(usage.body.periodStart).toISOString()).toMatch(/-01T00:00:00.000Z$/)
    const logs = await finalLogs(server, id, 6)
    expect(logs.filter(l => l.status === 200).map(l => l.cost).reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(4 * ONE_COST, 12)
  })
})

describe('who may use a key', () => {
  it('an IP allowlist refuses other addresses with 403 and admits its own', async () => {
    const e = await rejection(chat(keys['ip-out']!))
    expect(e).toBeInstanceOf(OpenAI.PermissionDeniedError)
    expect(e.error).toMatchObject({ code: 'ip_not_allowed' })
    await expect(chat(keys['ip-in']!)).resolves.toMatchObject({ object: 'chat.completion' })
  })

  it('refuses allowlist entries that are not addresses or CIDRs', async () => {
    for (const bad of ['10.0.0.0/33', 'localhost', '1.2.3', '::g', '10.0.0.1/', '2001:db8::/129', '1.2.3.4/-1']) {
      const r = await server.api('POST', '/api/proxy-keys', { name: 'bad ip', ipAllowlist: [bad] })
      expect(r.status, bad).toBe(400)
      expect(r.body.data.issues[0].path).toBe('ipAllowlist.0')
    }
  })

  it('an expired key gets 403', async () => {
    await new Promise(r => setTimeout(r, Math.max(0, 1600)))
    const e = await rejection(chat(keys.expired!))
    expect(e.status).toBe(403)
    expect(e.error).toMatchObject({ message: 'this proxy key has expired', code: 'key_expired' })
  })
})

it('a key with no limits is not slowed or refused', async () => {
  const results = await Promise.all(Array.from({ length: 10 }, () => chat(keys.plain!)))
  expect(results).toHaveLength(10)
})
