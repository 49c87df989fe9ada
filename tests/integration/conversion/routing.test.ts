import Anthropic from '@anthropic-ai/sdk'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { keyRows, startSeeded, type Seeded } from '../../support/proxySeed'

/** Which groups the unified routes reach by conversion, what they refuse, and streams that stay streams. */
const KEYS = { anConv: 'sk-ant-conv-route-0000000001', oaNative: 'sk-oa-native-route-000000002', geOff: 'AIza-ge-off-route-0000000003', oaConv: 'sk-oa-conv-route-00000000004' }
let mock: MockUpstream
let s: Seeded
let pk: string

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  // an-conv is created first: without the same-API preference it would come first at equal priority.
  s = await startSeeded([
    { name: 'an-conv', channel: 'anthropic', upstreams: up, models: ['shared-model', 'claude-only'], keys: [KEYS.anConv], acceptsConversions: true },
    { name: 'oa-native', channel: 'openai', upstreams: up, models: ['shared-model'], keys: [KEYS.oaNative] },
    { name: 'ge-off', channel: 'gemini', upstreams: up, models: ['gemini-hidden'], keys: [KEYS.geOff] },
    { name: 'oa-conv', channel: 'openai', upstreams: up, models: ['gpt-conv'], keys: [KEYS.oaConv], acceptsConversions: true },
  ])
  pk = s.proxyKeys[0]!
})
afterAll(async () => {
  const out = s?.server.output() ?? ''
  await s?.server.stop()
  await mock?.close()
  for (const k of Object.values(KEYS)) expect(out).not.toContain(k)
})

const openai = () => new OpenAI({ apiKey: pk, baseURL: `${s.server.url}/v1`, maxRetries: 0 })
const anthropic = () => new Anthropic({ apiKey: pk, authToken: null, baseURL: s.server.url, maxRetries: 0 })
const gemini = () => new GoogleGenAI({ apiKey: pk, httpOptions: { baseUrl: s.server.url } })
async function until(check: () => Promise<boolean>, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(r => setTimeout(r, 100))
  }
}
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.server.url}${path}`, { method: 'POST', headers: { 'authorization': `Bearer ${pk}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

describe('routing', () => {
  it('prefers a same-API group of equal priority, and converts only to groups that accept it', async () => {
    mock.reset()
    const r = await openai().chat.completions.create({ model: 'shared-model', messages: [{ role: 'user', content: 'hi' }] })
    expect(r.choices[0]!.message.content).toContain('Hello from shared-model')
    expect(mock.requests.map(q => [q.path, q.key])).toEqual([['/v1/chat/completions', KEYS.oaNative]])

    mock.reset()
    await expect(openai().chat.completions.create({ model: 'gemini-hidden', messages: [{ role: 'user', content: 'hi' }] }))
      .rejects.toMatchObject({ status: 404, error: { type: 'invalid_request_error' } })
    expect(mock.requests).toHaveLength(0)
  })

  it('an Anthropic client reaches an OpenAI group, and a Gemini client an Anthropic group', async () => {
    mock.reset()
    const m = await anthropic().messages.create({ model: 'gpt-conv', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
    expect(m.content[0]).toMatchObject({ type: 'text', text: 'Hello from gpt-conv part1 part2' })
    const g = await gemini().models.generateContent({ model: 'claude-only', contents: 'hi' })
    expect(g.text).toBe('Hello from claude-only part1 part2')
    expect(mock.requests.map(q => [q.path, q.key])).toEqual([['/v1/chat/completions', KEYS.oaConv], ['/v1/messages', KEYS.anConv]])
  })

  it('GET /api/route shows the converted groups, the same-API one first at equal priority', async () => {
    const shared = await s.server.api('GET', '/api/route?api=openai&model=shared-model')
    expect(shared.body.chosen).toBe(s.groupIds['oa-native'])
    expect(shared.body.candidates.map((c: any) => c.groupName)).toEqual(['oa-native', 'oa-conv', 'an-conv'])
    const claude = await s.server.api('GET', '/api/route?api=gemini&model=claude-only')
    expect(claude.body.chosen).toBe(s.groupIds['an-conv'])
    const hidden = await s.server.api('GET', '/api/route?api=anthropic&model=gemini-hidden')
    expect(hidden.body).toMatchObject({ chosen: null, reason: 'model_not_found' })
  })

  it('the model lists include the converted groups\' models, not those of groups that refuse conversion', async () => {
    const ids: string[] = []
    for await (const m of openai().models.list()) ids.push(m.id)
    expect(ids.sort()).toEqual(['claude-only', 'gpt-conv', 'shared-model'])
    const an: string[] = []
    for await (const m of anthropic().models.list()) an.push(m.id)
    expect(an.sort()).toEqual(['claude-only', 'gpt-conv', 'shared-model'])
    const ge: string[] = []
    for await (const m of await gemini().models.list()) ge.push(m.name!)
    expect(ge.sort()).toEqual(['models/claude-only', 'models/gemini-hidden', 'models/gpt-conv', 'models/shared-model'])
  })
})

describe('what cannot be mapped is refused with a 400 naming the field, before any upstream call', () => {
  it('OpenAI client: response_format to Anthropic, an unknown field, an unknown content part', async () => {
    mock.reset()
    for (const [body, field] of [
      [{ response_format: { type: 'json_object' } }, 'response_format'],
      [{ logit_bias: { 50256: -100 } }, 'logit_bias'],
      [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }] }] }, 'messages[0].content[0].type'],
      [{ n: 3 }, 'n'],
    ] as const) {
      const r = await post('/v1/chat/completions', { model: 'claude-only', messages: [{ role: 'user', content: 'hi' }], ...body })
      expect(r.status).toBe(400)
      const e = await r.json()
      expect(e.error.type).toBe('invalid_request_error')
      expect(e.error.code).toBe('unsupported_conversion')
      expect(e.error.message).toContain(field)
    }
    expect(mock.requests).toHaveLength(0)
  })

  it('a field only the native API maps still reaches the same-API group', async () => {
    mock.reset()
    const r = await post('/v1/chat/completions', { model: 'shared-model', messages: [{ role: 'user', content: 'hi' }], logit_bias: { 50256: -100 } })
    expect(r.status).toBe(200)
    expect(mock.requests.map(q => q.key)).toEqual([KEYS.oaNative])
  })

  it('Anthropic client: server tools and document blocks, in Anthropic\'s error shape', async () => {
    mock.reset()
    await expect(anthropic().messages.create({
      model: 'gpt-conv', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }],
    })).rejects.toMatchObject({ status: 400, error: { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('tools[0].type') } } })
    await expect(anthropic().messages.create({
      model: 'gpt-conv', max_tokens: 16,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] }],
    })).rejects.toMatchObject({ status: 400, error: { error: { message: expect.stringContaining('messages[0].content[0].type') } } })
    expect(mock.requests).toHaveLength(0)
  })

  it('Gemini client: Google Search and an image URL to a Gemini-less target, in Gemini\'s error shape', async () => {
    mock.reset()
    const r = await post('/v1beta/models/claude-only:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], tools: [{ googleSearch: {} }] })
    expect(r.status).toBe(400)
    const e = await r.json()
    expect(e.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' })
    expect(e.error.message).toContain('tools[0].googleSearch')
    const streamed = await post('/v1beta/models/claude-only:streamGenerateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })
    expect(streamed.status).toBe(400)
    expect((await streamed.json()).error.message).toContain('alt=sse')
    expect(mock.requests).toHaveLength(0)
  })
})

describe('upstream errors', () => {
  it("the key is judged on the provider's own error; the client gets its own API's shape", async () => {
    mock.reset()
    mock.onKey(KEYS.anConv, { status: 401, times: 10 })
    const r = await post('/v1/chat/completions', { model: 'claude-only', messages: [{ role: 'user', content: 'hi' }] })
    // Anthropic's authentication_error names our key: the pool has no usable key, not the client.
    expect(r.status).toBe(503)
    expect((await r.json()).error).toMatchObject({ type: 'server_error', code: 'no_available_key' })
    expect(mock.requests.every(q => q.path === '/v1/messages')).toBe(true)
    // Key state reaches the database in batches: wait for it, then restore the key for the tests below.
    await until(async () => (await keyRows(s.server, s.groupIds['an-conv']!))[0].status === 'invalid')
    mock.reset()
    await s.server.api('POST', `/api/groups/${s.groupIds['an-conv']}/keys/actions`, { action: 'restore-invalid' })
    await until(async () => (await post('/v1/chat/completions', { model: 'claude-only', messages: [{ role: 'user', content: 'hi' }] })).status === 200)

    // A rate limit cools the key (read from OpenAI's answer) and reaches the Anthropic client as Anthropic's 429.
    mock.onKey(KEYS.oaConv, { status: 429, times: 1, headers: { 'retry-after': '1' } })
    await expect(anthropic().messages.create({ model: 'gpt-conv', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }))
      .rejects.toMatchObject({ status: 429, headers: expect.anything(), error: { type: 'error', error: { type: 'rate_limit_error' } } })
    await until(async () => (await keyRows(s.server, s.groupIds['oa-conv']!))[0].status === 'cooling')
    await new Promise(res => setTimeout(res, 1500))
  })
})

describe('hostile input', () => {
  it('counts and names are bounded, and a broken tool history is refused', async () => {
    mock.reset()
    const many = Array.from({ length: 10_001 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'x' }))
    const cases: [unknown, string][] = [
      [{ messages: many }, 'has more than 10000 entries'],
      [{ tools: [{ type: 'function', function: { name: 'x'.repeat(300), parameters: { type: 'object' } } }] }, 'tools[0].function.name'],
      [{ messages: [{ role: 'tool', tool_call_id: 'call_nobody', content: 'x' }] }, 'messages[0].tool_call_id'],
      [{ messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role'],
    ]
    for (const [body, text] of cases) {
      const r = await post('/v1/chat/completions', { model: 'claude-only', messages: [{ role: 'user', content: 'hi' }], ...(body as object) })
      expect(r.status).toBe(400)
      expect((await r.json()).error.message).toContain(text)
    }
    expect(mock.requests).toHaveLength(0)
  })

  it('the client\'s provider headers and fields never reach another provider: the request is rebuilt from what maps', async () => {
    mock.reset()
    const r = await post('/v1/chat/completions', { model: 'claude-only', messages: [{ role: 'user', content: 'hi' }], user: 'u-1' }, {
      'anthropic-beta': 'evil-beta', 'x-goog-user-project': 'other-project', 'openai-organization': 'org-other', 'x-api-key': 'client-key-attempt',
    })
    expect(r.status).toBe(200)
    const q = mock.requests[0]!
    expect(q.headers['x-api-key']).toBe(KEYS.anConv)
    expect(q.headers['anthropic-version']).toBe('2023-06-01')
    for (const h of ['anthropic-beta', 'x-goog-user-project', 'openai-organization', 'authorization']) expect(q.headers[h]).toBeUndefined()
    expect(Object.keys(q.json).sort()).toEqual(['max_tokens', 'messages', 'model'])
  })
})

describe('streams stay streams', () => {
  it('a converted stream reaches the client while the upstream is still sending', async () => {
    mock.reset()
    mock.setDefault({ chunks: 4, intervalMs: 150 })
    const stream = await openai().chat.completions.create({ model: 'claude-only', messages: [{ role: 'user', content: 'hi' }], stream: true })
    let firstSeenWhileUpstreamOpen: boolean | null = null
    let text = ''
    for await (const c of stream) {
      const t = c.choices[0]?.delta.content
      const up = mock.requests[0]!
      if (t && firstSeenWhileUpstreamOpen === null) firstSeenWhileUpstreamOpen = up.finishedAt === undefined && up.chunkTimes.length < 4
      text += t ?? ''
    }
    mock.setDefault({})
    expect(firstSeenWhileUpstreamOpen).toBe(true)
    expect(text).toBe('Hello from claude-only part1 part2 part3')
  })

  it('a client that aborts a converted stream aborts the upstream at once, logged as 499', async () => {
    mock.reset()
    mock.setDefault({ chunks: 50, intervalMs: 100 })
    const ac = new AbortController()
    const r = await fetch(`${s.server.url}/v1beta/models/gpt-conv:streamGenerateContent?alt=sse`, {
      method: 'POST', signal: ac.signal, headers: { 'x-goog-api-key': pk, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    })
    const reader = r.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toContain('"text":"Hello from gpt-conv"')
    ac.abort()
    await mock.waitFor(() => mock.requests[0]?.abortedAt !== undefined, 3000)
    mock.setDefault({})
    expect(mock.requests[0]!.chunkTimes.length).toBeLessThan(50)
    await new Promise(res => setTimeout(res, 1500))
    const logs = await s.server.api('GET', '/api/logs?model=gpt-conv&status=499')
    expect(logs.body.items[0]).toMatchObject({ status: 499, clientApi: 'gemini', channelApi: 'openai' })
  })
})
