import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import OpenAI from 'openai'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { seed } from '../../support/proxySeed'
import { startServer, type RunningServer } from '../../support/server'
import { awayFromMinuteEdge, sleep } from './support'

/**
 * An upstream that enforces per-key limits the way providers do and answers 429 beyond them:
 * requests and tokens per calendar minute, requests per day, requests in flight. Every answer
 * uses 18 tokens. Keygate's pacing must keep every key under them: the upstream refuses nothing.
 */
type KeyLimits = { rpm?: number; tpm?: number; concurrency?: number; daily?: number; delayMs?: number }
type Paced = {
  url: string
  limits: Map<string, KeyLimits>
  served: { key: string; tag: string }[]
  refused: string[]
  close: () => Promise<void>
}

async function startPacedUpstream(): Promise<Paced> {
  const limits = new Map<string, KeyLimits>()
  const counts = new Map<string, number>()
  const inFlight = new Map<string, number>()
  const served: Paced['served'] = []
  const refused: string[] = []
  const bump = (k: string, by: number) => { const n = (counts.get(k) ?? 0) + by; counts.set(k, n); return n }
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const key = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}')
    const l = limits.get(key) ?? {}
    const minute = Math.floor(Date.now() / 60_000)
    const day = Math.floor(Date.now() / 86_400_000)
    const over = (l.rpm !== undefined && (counts.get(`r${key}${minute}`) ?? 0) >= l.rpm)
      || (l.tpm !== undefined && (counts.get(`t${key}${minute}`) ?? 0) + 18 > l.tpm)
      || (l.daily !== undefined && (counts.get(`d${key}${day}`) ?? 0) >= l.daily)
      || (l.concurrency !== undefined && (inFlight.get(key) ?? 0) >= l.concurrency)
    if (over) {
      refused.push(key)
      res.writeHead(429, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }))
      return
    }
    bump(`r${key}${minute}`, 1)
    bump(`d${key}${day}`, 1)
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1)
    served.push({ key, tag: String(body.messages?.[0]?.content ?? '') })
    if (l.delayMs) await sleep(l.delayMs)
    bump(`t${key}${minute}`, 18)
    inFlight.set(key, inFlight.get(key)! - 1)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({
      id: 'chatcmpl-paced', object: 'chat.completion', created: 1700000000, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
    }))
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, limits, served, refused,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}

const K = (g: string, i: number) => `sk-paced-${g}-upstream-key-00000${i}`
let up: Paced
let server: RunningServer
let pk = ''

beforeAll(async () => {
  up = await startPacedUpstream()
  server = await startServer()
  const group = (name: string, config: Record<string, number>, n = 2) => ({
    name, channel: 'openai' as const, upstreams: [{ url: up.url, weight: 1 }], models: [`${name}-model`], config,
    keys: Array.from({ length: n }, (_, i) => K(name, i)),
  })
  const s = await seed(server, [
    group('rpm', { key_rpm: 3 }),
    group('tpm', { key_tpm: 40 }),
    group('conc', { key_concurrency: 1, queue_timeout_ms: 20_000 }),
    group('daily', { key_daily_requests: 2 }, 1),
    group('short', { key_concurrency: 1, queue_timeout_ms: 150 }, 1),
  ])
  pk = s.proxyKeys[0]!
  for (let i = 0; i < 2; i++) {
    up.limits.set(K('rpm', i), { rpm: 3 })
    up.limits.set(K('tpm', i), { tpm: 40 })
    up.limits.set(K('conc', i), { concurrency: 1, delayMs: 200 })
  }
  up.limits.set(K('daily', 0), { daily: 2 })
  up.limits.set(K('short', 0), { concurrency: 1, delayMs: 1000 })
})
afterAll(async () => { await server?.stop(); await up?.close() })

const client = () => new OpenAI({ apiKey: pk, baseURL: `${server.url}/v1`, maxRetries: 0 })
const ask = (model: string, tag = '') => client().chat.completions.create({ model, messages: [{ role: 'user', content: tag || 'hi' }] })
  .then(() => ({ status: 200, retryAfter: null as string | null, message: '' }), (e: any) => ({ status: e.status as number, retryAfter: e.headers?.get('retry-after') as string | null, message: e.message as string }))

it('key_rpm: at 1.5 × the group\'s allowance the upstream refuses nothing; the excess gets 429 with Retry-After', async () => {
  await awayFromMinuteEdge()
  const results = await Promise.all(Array.from({ length: 9 }, () => ask('rpm-model')))
  expect(up.refused).toEqual([])
  expect(results.filter(r => r.status === 200)).toHaveLength(6)
  const excess = results.filter(r => r.status === 429)
  expect(excess).toHaveLength(3)
  for (const r of excess) {
    expect(r.message).toContain('pacing limit')
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1)
    expect(Number(r.retryAfter)).toBeLessThanOrEqual(60)
  }
})

it('key_tpm: counted from usage and pre-checked by size, so the upstream\'s token limit is never hit', async () => {
  await awayFromMinuteEdge()
  const results = []
  for (let i = 0; i < 6; i++) results.push((await ask('tpm-model')).status)
  expect(up.refused).toEqual([])
  // 40 tokens a key: 18 + 18 fit, a third (36 + its estimate) does not: 2 keys × 2 answers.
  expect(results).toEqual([200, 200, 200, 200, 429, 429])
})

it('key_concurrency with queue_timeout_ms: a burst waits for a free key and the queue drains in arrival order', async () => {
  const tags = Array.from({ length: 6 }, (_, i) => `req-${i}`)
  const pending: Promise<{ status: number }>[] = []
  for (const t of tags) {
    pending.push(ask('conc-model', t))
    await sleep(30) // distinct arrival order
  }
  const results = await Promise.all(pending)
  expect(results.map(r => r.status)).toEqual([200, 200, 200, 200, 200, 200])
  expect(up.refused).toEqual([])
  expect(up.served.filter(s => s.tag.startsWith('req-')).map(s => s.tag)).toEqual(tags)
})

it('key_daily_requests: a key used up for the day is skipped until the next day', async () => {
  const results = [await ask('daily-model'), await ask('daily-model'), await ask('daily-model')]
  expect(results.map(r => r.status)).toEqual([200, 200, 429])
  expect(up.refused).toEqual([])
  expect(Number(results[2]!.retryAfter)).toBeGreaterThan(1)
  expect(Number(results[2]!.retryAfter)).toBeLessThanOrEqual(86_400)
})

it('a request that waits longer than queue_timeout_ms gets 429, and the key is free again after', async () => {
  const first = ask('short-model')
  await sleep(100)
  const second = await ask('short-model')
  expect(second.status).toBe(429)
  expect((await first).status).toBe(200)
  expect((await ask('short-model')).status).toBe(200)
  expect(up.refused).toEqual([])
})
