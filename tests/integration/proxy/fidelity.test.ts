import Anthropic from '@anthropic-ai/sdk'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { startSeeded, type Seeded } from '../../support/proxySeed'
import { rawRequest } from '../../support/rawHttp'
import { createRecorder } from '../../support/recorder'

/**
 * A transparent proxy returns what the provider returned. The same requests go to the provider
 * (the mock) directly and through Keygate; a raw HTTP client compares status, every header and
 * every streamed event, and the official SDKs compare what they parse. The only differences
 * allowed are the intended ones (README "What Keygate changes on the way"):
 */
const INTENDED = new Set([
  // Hop-by-hop and per-connection headers: each hop sets its own (RFC 9110 §7.6.1).
  'connection', 'keep-alive', 'transfer-encoding', 'date',
  // Framing: an error answer is read whole (to judge the key) and goes out with its length; the
  // bytes themselves are compared below.
  'content-length',
])
const UPSTREAM = { openai: 'sk-oa-fidelity-upstream-00000001', anthropic: 'sk-ant-fidelity-upstream-000002', gemini: 'AIza-fidelity-upstream-gemini-03' }
const rec = createRecorder()
let mock: MockUpstream
let s: Seeded
let pk: string

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  s = await startSeeded([
    { name: 'oa', channel: 'openai', upstreams: up, models: ['gpt-4o-mini'], keys: [UPSTREAM.openai] },
    { name: 'an', channel: 'anthropic', upstreams: up, models: ['claude-3-5-haiku-latest'], keys: [UPSTREAM.anthropic] },
    { name: 'ge', channel: 'gemini', upstreams: up, models: ['gemini-2.0-flash'], keys: [UPSTREAM.gemini] },
  ])
  pk = s.proxyKeys[0]!
})
beforeEach(() => mock.reset())
afterAll(async () => {
  const logs = await s?.server.api('GET', '/api/logs?pageSize=500')
  await s?.server.stop()
  await mock?.close()
  rec.expectNoSecrets(Object.values(UPSTREAM), [s?.server.output() ?? '', JSON.stringify(logs?.body ?? '')])
})

type Api = 'openai' | 'anthropic' | 'gemini'
type Case = { name: string; api: Api; path: string; body: unknown; stream: boolean; behaviour?: Parameters<MockUpstream['onKey']>[1] }
type Answer = { status: number; headers: Record<string, string | string[]>; events: string[]; raw: string }

function authHeaders(api: Api, key: string): Record<string, string> {
  if (api === 'anthropic') return { 'x-api-key': key, 'anthropic-version': '2023-06-01' }
  if (api === 'gemini') return { 'x-goog-api-key': key }
  return { authorization: `Bearer ${key}` }
}

/** A raw HTTP client: the status, every header, and the body as the events (or bytes) it carried. */
async function send(base: string, c: Case, key: string): Promise<Answer> {
  const res = await request(base + c.path, {
    method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders(c.api, key) }, body: JSON.stringify(c.body),
  })
  let raw = ''
  for await (const chunk of res.body) raw += (chunk as Buffer).toString('utf8')
  rec.add(raw, res.headers)
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !INTENDED.has(k)) headers[k] = v
  // TCP decides where chunks split; the events they carry are what a client reads.
  const events = c.stream ? raw.split(/(?<=\n\n)/) : [raw]
  return { status: res.statusCode, headers, events, raw }
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]
const claude = { model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }
const gemini = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }
const CASES: Case[] = [
  { name: 'chat', api: 'openai', path: '/v1/chat/completions', body: chat, stream: false },
  { name: 'chat streamed, no stream_options', api: 'openai', path: '/v1/chat/completions', body: { ...chat, stream: true }, stream: true },
  { name: 'chat streamed, include_usage true', api: 'openai', path: '/v1/chat/completions', body: { ...chat, stream: true, stream_options: { include_usage: true } }, stream: true },
  { name: 'chat streamed, include_usage false', api: 'openai', path: '/v1/chat/completions', body: { ...chat, stream: true, stream_options: { include_usage: false } }, stream: true },
  { name: 'chat with tools', api: 'openai', path: '/v1/chat/completions', body: { ...chat, tools, tool_choice: 'auto' }, stream: false },
  { name: 'chat with tools, streamed', api: 'openai', path: '/v1/chat/completions', body: { ...chat, tools, stream: true }, stream: true },
  { name: 'chat refused (400)', api: 'openai', path: '/v1/chat/completions', body: { ...chat, not_a_field: 1 }, stream: false, behaviour: { rejectUnknownFields: true } },
  { name: 'chat failing upstream (500)', api: 'openai', path: '/v1/chat/completions', body: chat, stream: false, behaviour: { status: 500, headers: { 'x-request-id': 'req_500' } } },
  { name: 'responses', api: 'openai', path: '/v1/responses', body: { model: 'gpt-4o-mini', input: 'hi' }, stream: false },
  { name: 'responses streamed', api: 'openai', path: '/v1/responses', body: { model: 'gpt-4o-mini', input: 'hi', stream: true }, stream: true },
  { name: 'embeddings', api: 'openai', path: '/v1/embeddings', body: { model: 'gpt-4o-mini', input: 'hi' }, stream: false },
  { name: 'anthropic messages', api: 'anthropic', path: '/v1/messages', body: claude, stream: false },
  { name: 'anthropic messages streamed', api: 'anthropic', path: '/v1/messages', body: { ...claude, stream: true }, stream: true },
  { name: 'anthropic with tools, streamed', api: 'anthropic', path: '/v1/messages', body: { ...claude, stream: true, tools: [{ name: 'w', input_schema: { type: 'object' } }] }, stream: true },
  { name: 'anthropic overloaded (529)', api: 'anthropic', path: '/v1/messages', body: claude, stream: false, behaviour: { status: 529 } },
  { name: 'gemini generateContent', api: 'gemini', path: '/v1beta/models/gemini-2.0-flash:generateContent', body: gemini, stream: false },
  { name: 'gemini streamGenerateContent', api: 'gemini', path: '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse', body: gemini, stream: true },
  { name: 'gemini failing upstream (503)', api: 'gemini', path: '/v1beta/models/gemini-2.0-flash:generateContent', body: gemini, stream: false, behaviour: { status: 503 } },
]

describe('differential: the same request directly and through Keygate (raw HTTP)', () => {
  it.each(CASES)('$name', async (c) => {
    const key = UPSTREAM[c.api]
    if (c.behaviour) mock.onKey(key, c.behaviour)
    const direct = await send(mock.url, c, key)
    const sentDirect = mock.requests.at(-1)!
    const via = await send(s.server.url, c, pk)
    const sentVia = mock.requests.at(-1)!
    expect(via.status).toBe(direct.status)
    expect(via.headers).toEqual(direct.headers)
    expect(via.events).toEqual(direct.events)
    // The request reached the provider as the client sent it, but for our stream_options.
    const injected = c.api === 'openai' && c.stream && c.path.endsWith('/chat/completions') && !(c.body as any).stream_options?.include_usage
    if (injected) {
      expect(sentVia.json).toEqual({ ...(c.body as object), stream_options: { ...(c.body as any).stream_options, include_usage: true } })
    } else {
      expect(sentVia.body.equals(sentDirect.body)).toBe(true)
    }
  })

  it('a client that sends Expect: 100-continue (curl does, for larger bodies) gets the provider\'s answer', async () => {
    // Found by tests/fuzz/proxy.test.ts: the header was forwarded, undici refused it, the client got 502.
    const body = JSON.stringify({ ...chat, messages: [{ role: 'user', content: 'x'.repeat(4096) }] })
    const a = await rawRequest(s.server.port, { method: 'POST', target: '/v1/chat/completions', body,
      headers: [['authorization', `Bearer ${pk}`], ['content-type', 'application/json'], ['expect', '100-continue']] })
    expect(a.status).toBe(200)
    expect(JSON.parse(a.body.toString()).choices[0].message.content).toContain('Hello from gpt-4o-mini')
    expect(mock.requests.at(-1)!.headers.expect).toBeUndefined()
  })

  it('a stream that did not ask for usage carries no "usage" at all (as OpenAI sends it)', async () => {
    const c = CASES[1]!
    const via = await send(s.server.url, c, pk)
    expect(via.raw).not.toContain('"usage"')
    expect(via.events.at(-1)).toBe('data: [DONE]\n\n')
  })
})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('differential: what the official SDKs parse', () => {
  const to = (direct: boolean) => ({ baseURL: direct ? mock.url : s.server.url, fetch: direct ? undefined : rec.fetch, maxRetries: 0 })
  const oa = (direct: boolean) => new OpenAI({ ...to(direct), apiKey: direct ? UPSTREAM.openai : pk, baseURL: `${to(direct).baseURL}/v1` })
  const an = (direct: boolean) => new Anthropic({ ...to(direct), apiKey: direct ? UPSTREAM.anthropic : pk, authToken: null })
  const ge = (direct: boolean) => new GoogleGenAI({ apiKey: direct ? UPSTREAM.gemini : pk, httpOptions: { baseUrl: to(direct).baseURL } })
  const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] }
  const fnTools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } },
  ]

  it('openai chat streams, with and without stream_options and tools, chunk for chunk', async () => {
    const variants = [{}, { stream_options: { include_usage: true } }, { stream_options: { include_usage: false } }, { tools: fnTools }]
    for (const extra of variants) {
      const q = { ...ask, ...extra, stream: true as const }
      const via = await collect(await oa(false).chat.completions.create(q))
      const direct = await collect(await oa(true).chat.completions.create(q))
      expect(via).toEqual(direct)
      expect(via.some(c => 'usage' in c)).toBe((extra as any).stream_options?.include_usage === true)
    }
  })

  it('openai errors arrive as the same SDK error', async () => {
    mock.onKey(UPSTREAM.openai, { rejectUnknownFields: true })
    const q = { ...ask, not_a_field: 1 } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming
    const via = await oa(false).chat.completions.create(q).catch(e => e)
    const direct = await oa(true).chat.completions.create(q).catch(e => e)
    expect(via).toBeInstanceOf(OpenAI.BadRequestError)
    expect(via.status).toBe(direct.status)
    expect(via.error).toEqual(direct.error)
  })

  it('anthropic message streams, event for event', async () => {
    const q = { model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }], stream: true as const }
    expect(await collect(await an(false).messages.create(q))).toEqual(await collect(await an(true).messages.create(q)))
  })

  it('gemini streams, chunk for chunk', async () => {
    const q = { model: 'gemini-2.0-flash', contents: 'hi' }
    const via = await collect(await ge(false).models.generateContentStream(q))
    const direct = await collect(await ge(true).models.generateContentStream(q))
    expect(via.map(c => c.candidates)).toEqual(direct.map(c => c.candidates))
    expect(via.map(c => c.usageMetadata)).toEqual(direct.map(c => c.usageMetadata))
  })
})
