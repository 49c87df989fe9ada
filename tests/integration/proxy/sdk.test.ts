import Anthropic from '@anthropic-ai/sdk'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MOCK_USAGE, startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { startSeeded, type Seeded } from '../../support/proxySeed'
import { createRecorder } from '../../support/recorder'

/**
 * The official SDKs, pointed at Keygate instead of the provider, get exactly what they get from
 * the provider (the mock) directly, through /proxy/{group} and the unified routes.
 */
const UPSTREAM = { openai: 'sk-oa-upstream-0000000000000001', anthropic: 'sk-ant-upstream-00000000000002', gemini: 'AIza-upstream-gemini-0000000003' }
const rec = createRecorder()
let mock: MockUpstream
let s: Seeded
let pk: string

beforeAll(async () => {
  mock = await startMockUpstream()
  s = await startSeeded([
    { name: 'oa', channel: 'openai', upstreams: [{ url: mock.url, weight: 1 }], models: ['gpt-4o-mini', 'gpt-4o'], keys: [UPSTREAM.openai] },
    { name: 'an', channel: 'anthropic', upstreams: [{ url: mock.url, weight: 1 }], models: ['claude-3-5-haiku-latest'], keys: [UPSTREAM.anthropic] },
    { name: 'ge', channel: 'gemini', upstreams: [{ url: mock.url, weight: 1 }], models: ['gemini-2.0-flash'], keys: [UPSTREAM.gemini] },
  ])
  pk = s.proxyKeys[0]!
})
afterAll(async () => {
  const logs = await s?.server.api('GET', '/api/logs?pageSize=500')
  await s?.server.stop()
  await mock?.close()
  rec.expectNoSecrets(Object.values(UPSTREAM), [s?.server.output() ?? '', JSON.stringify(logs?.body ?? '')])
})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe.each([
  ['/proxy/oa', (u: string) => `${u}/proxy/oa/v1`],
  ['unified /v1', (u: string) => `${u}/v1`],
])('openai SDK via %s', (_name, base) => {
  const viaKeygate = () => new OpenAI({ apiKey: pk, baseURL: base(s.server.url), fetch: rec.fetch, maxRetries: 0 })
  const direct = () => new OpenAI({ apiKey: UPSTREAM.openai, baseURL: `${mock.url}/v1`, maxRetries: 0 })
  const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] }

  it('chat completions', async () => {
    const got = await viaKeygate().chat.completions.create(ask)
    expect(got).toEqual(await direct().chat.completions.create(ask))
    expect(got.choices[0]!.message.content).toContain('Hello from gpt-4o-mini')
    rec.add(got)
  })

  it('streamed chat completions, with and without usage asked for', async () => {
    const got = await collect(await viaKeygate().chat.completions.create({ ...ask, stream: true }))
    expect(got).toEqual(await collect(await direct().chat.completions.create({ ...ask, stream: true })))
    const withUsage = { ...ask, stream: true as const, stream_options: { include_usage: true } }
    const got2 = await collect(await viaKeygate().chat.completions.create(withUsage))
    expect(got2).toEqual(await collect(await direct().chat.completions.create(withUsage)))
    expect(got2.at(-1)!.usage?.prompt_tokens).toBe(11)
    rec.add(got, got2)
  })

  it('responses, plain and streamed', async () => {
    const q = { model: 'gpt-4o-mini', input: 'hi' }
    expect(await viaKeygate().responses.create(q)).toEqual(await direct().responses.create(q))
    const events = await collect(await viaKeygate().responses.create({ ...q, stream: true }))
    expect(events).toEqual(await collect(await direct().responses.create({ ...q, stream: true })))
  })

  it('embeddings', async () => {
    const q = { model: 'gpt-4o-mini', input: 'hi' }
    expect(await viaKeygate().embeddings.create(q)).toEqual(await direct().embeddings.create(q))
  })
})

it('openai SDK lists the models the proxy key can reach', async () => {
  const client = new OpenAI({ apiKey: pk, baseURL: `${s.server.url}/v1`, fetch: rec.fetch })
  const ids = (await collect(client.models.list())).map(m => m.id)
  expect(ids.sort()).toEqual(['gpt-4o', 'gpt-4o-mini'])
})

describe.each([
  ['/proxy/an with x-api-key', (u: string) => `${u}/proxy/an`, 'apiKey'],
  ['unified with x-api-key', (u: string) => u, 'apiKey'],
  ['unified with Bearer', (u: string) => u, 'authToken'],
])('anthropic SDK via %s', (_name, base, auth) => {
  const viaKeygate = () => new Anthropic({ ...(auth === 'apiKey' ? { apiKey: pk, authToken: null } : { apiKey: null, authToken: pk }), baseURL: base(s.server.url), fetch: rec.fetch, maxRetries: 0 })
  const direct = () => new Anthropic({ apiKey: UPSTREAM.anthropic, authToken: null, baseURL: mock.url, maxRetries: 0 })
  const ask = { model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] }

  it('messages', async () => {
    const got = await viaKeygate().messages.create(ask)
    expect(got).toEqual(await direct().messages.create(ask))
    expect(got.usage.input_tokens).toBe(MOCK_USAGE.promptTokens - MOCK_USAGE.cachedTokens)
  })

  it('streamed messages, and the client anthropic-version passes through', async () => {
    mock.reset()
    const got = await collect(await viaKeygate().messages.create({ ...ask, stream: true }))
    expect(got).toEqual(await collect(await direct().messages.create({ ...ask, stream: true })))
    const sent = mock.requests[0]!
    expect(sent.key).toBe(UPSTREAM.anthropic)
    expect(sent.headers['x-api-key']).toBe(UPSTREAM.anthropic)
    expect(sent.headers.authorization).toBeUndefined()
    expect(sent.headers['anthropic-version']).toBe(mock.requests[1]!.headers['anthropic-version'])
  })
})

it('anthropic SDK lists the models the proxy key can reach', async () => {
  const client = new Anthropic({ apiKey: pk, authToken: null, baseURL: s.server.url, fetch: rec.fetch })
  const ids = (await collect(client.models.list())).map(m => m.id)
  expect(ids).toEqual(['claude-3-5-haiku-latest'])
})

describe.each([
  ['/proxy/ge', (u: string) => `${u}/proxy/ge`],
  ['unified /v1beta', (u: string) => u],
])('google genai SDK via %s', (_name, base) => {
  const viaKeygate = () => new GoogleGenAI({ apiKey: pk, httpOptions: { baseUrl: base(s.server.url) } })
  const direct = () => new GoogleGenAI({ apiKey: UPSTREAM.gemini, httpOptions: { baseUrl: mock.url } })
  const ask = { model: 'gemini-2.0-flash', contents: 'hi' }

  it('generateContent', async () => {
    const got = await viaKeygate().models.generateContent(ask)
    const want = await direct().models.generateContent(ask)
    expect(got.text).toBe(want.text)
    expect(got.usageMetadata).toEqual(want.usageMetadata)
    expect(got.candidates).toEqual(want.candidates)
    rec.add(got)
  })

  it('generateContentStream', async () => {
    const got = await collect(await viaKeygate().models.generateContentStream(ask))
    const want = await collect(await direct().models.generateContentStream(ask))
    expect(got.map(c => c.text)).toEqual(want.map(c => c.text))
    expect(got.at(-1)!.usageMetadata).toEqual(want.at(-1)!.usageMetadata)
    expect(got.length).toBe(3)
  })
})

describe.each([
  ['/proxy/ge', (u: string) => `${u}/proxy/ge/v1beta/openai`],
  ['unified /v1beta/openai', (u: string) => `${u}/v1beta/openai`],
])("openai SDK against Gemini's OpenAI mode via %s", (_name, base) => {
  it('chat completions, the upstream key sent as Bearer', async () => {
    mock.reset()
    const ask = { model: 'gemini-2.0-flash', messages: [{ role: 'user' as const, content: 'hi' }] }
    const got = await new OpenAI({ apiKey: pk, baseURL: base(s.server.url), fetch: rec.fetch, maxRetries: 0 }).chat.completions.create(ask)
    expect(got).toEqual(await new OpenAI({ apiKey: UPSTREAM.gemini, baseURL: `${mock.url}/v1beta/openai`, maxRetries: 0 }).chat.completions.create(ask))
    expect(mock.requests[0]!.path).toBe('/v1beta/openai/chat/completions')
    expect(mock.requests[0]!.headers.authorization).toBe(`Bearer ${UPSTREAM.gemini}`)
    expect(mock.requests[0]!.headers['x-goog-api-key']).toBeUndefined()
  })
})

it('genai SDK lists the models the proxy key can reach', async () => {
  const ai = new GoogleGenAI({ apiKey: pk, httpOptions: { baseUrl: s.server.url } })
  const names: string[] = []
  for await (const m of await ai.models.list()) names.push(m.name!)
  expect(names).toEqual(['models/gemini-2.0-flash'])
})

it('a bad proxy key gets a 401 each SDK understands', async () => {
  await expect(new OpenAI({ apiKey: 'nope', baseURL: `${s.server.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [] })).rejects.toMatchObject({ status: 401 })
  await expect(new Anthropic({ apiKey: UPSTREAM.anthropic, authToken: null, baseURL: s.server.url, maxRetries: 0 }).messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 1, messages: [] })).rejects.toMatchObject({ status: 401, error: { type: 'error', error: { type: 'authentication_error' } } })
  const r = await fetch(`${s.server.url}/v1beta/models/gemini-2.0-flash:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'nope' }, body: '{}' })
  expect(r.status).toBe(401)
  expect((await r.json()).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' })
})
