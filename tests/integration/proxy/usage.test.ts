import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MOCK_USAGE, startMockUpstream, type MockUpstream } from '../../support/mockUpstream'
import { startSeeded, type Seeded } from '../../support/proxySeed'

/**
 * Token usage in the request log, per channel, plain and streamed: parsed from the bytes as
 * they pass (the usage parsers) and written with each attempt (the engine's wiring).
 */
const KEYS = { oa: 'sk-usage-openai-upstream-00000001', rs: 'sk-usage-responses-upstream-0002', an: 'sk-ant-usage-upstream-0000000003', ge: 'AIza-usage-gemini-upstream-00004', bd: 'sk-usage-bodies-upstream-0000005' }
let mock: MockUpstream
let s: Seeded
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

beforeAll(async () => {
  mock = await startMockUpstream()
  const up = [{ url: mock.url, weight: 1 }]
  s = await startSeeded([
    { name: 'oa', channel: 'openai', upstreams: up, keys: [KEYS.oa] },
    { name: 'rs', channel: 'openai-response', upstreams: up, keys: [KEYS.rs] },
    { name: 'an', channel: 'anthropic', upstreams: up, keys: [KEYS.an] },
    { name: 'ge', channel: 'gemini', upstreams: up, keys: [KEYS.ge] },
    { name: 'bd', channel: 'openai', upstreams: up, keys: [KEYS.bd], config: { request_log_body: true } },
  ])
})
afterAll(async () => {
  const logs = JSON.stringify((await s?.server.api('GET', '/api/logs?pageSize=500'))?.body ?? '')
  await s?.server.stop()
  await mock?.close()
  for (const k of Object.values(KEYS)) expect(logs.includes(k) || (s?.server.output() ?? '').includes(k)).toBe(false)
})

const pk = () => s.proxyKeys[0]!
const cases: { name: string; group: string; path: string; headers?: Record<string, string>; body: unknown; stream: boolean }[] = [
  { name: 'openai chat', group: 'oa', path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [] }, stream: false },
  { name: 'openai chat stream (usage asked for by us)', group: 'oa', path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', stream: true, messages: [] }, stream: true },
  { name: 'openai responses', group: 'rs', path: '/v1/responses', body: { model: 'gpt-4o-mini', input: 'hi' }, stream: false },
  { name: 'openai responses stream', group: 'rs', path: '/v1/responses', body: { model: 'gpt-4o-mini', input: 'hi', stream: true }, stream: true },
  { name: 'anthropic messages', group: 'an', path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' }, body: { model: 'claude-3-5-haiku-latest', max_tokens: 5, messages: [] }, stream: false },
  { name: 'anthropic messages stream', group: 'an', path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' }, body: { model: 'claude-3-5-haiku-latest', max_tokens: 5, stream: true, messages: [] }, stream: true },
  { name: 'gemini generateContent', group: 'ge', path: '/v1beta/models/gemini-2.0-flash:generateContent', body: { contents: [] }, stream: false },
  { name: 'gemini streamGenerateContent', group: 'ge', path: '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse', body: { contents: [] }, stream: true },
]

describe('token counts in the request log', () => {
  it.each(cases)('$name', async (c) => {
    const since = Date.now()
    const r = await fetch(`${s.server.url}/proxy/${c.group}${c.path}`, { method: 'POST', headers: { 'authorization': `Bearer ${pk()}`, 'content-type': 'application/json', ...c.headers }, body: JSON.stringify(c.body) })
    expect(r.status).toBe(200)
    const text = await r.text()
    if (c.stream) expect(text).not.toContain('"choices":[],"usage"')
    let row: any
    for (let i = 0; i < 60 && !row; i++) {
      await sleep(100)
      const logs = await s.server.api('GET', `/api/logs?groupId=${s.groupIds[c.group]}&from=${since - 1}&pageSize=10`)
      row = logs.body.items?.find((l: any) => l.type === 'final' && l.stream === c.stream)
    }
    expect(row).toMatchObject({
      status: 200, success: true, stream: c.stream,
      promptTokens: MOCK_USAGE.promptTokens, completionTokens: MOCK_USAGE.completionTokens, cachedTokens: MOCK_USAGE.cachedTokens,
    })
    expect(row.ttftMs).toBeGreaterThanOrEqual(0)
    expect(row.keyMasked).not.toBe('')
  })

  it('keeps request and response bodies in the log when the group asks for it', async () => {
    const since = Date.now()
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'remember me' }] })
    const r = await fetch(`${s.server.url}/proxy/bd/v1/chat/completions`, { method: 'POST', headers: { 'authorization': `Bearer ${pk()}`, 'content-type': 'application/json' }, body })
    expect(r.status).toBe(200)
    await r.text()
    let row: any
    for (let i = 0; i < 60 && !row; i++) {
      await sleep(100)
      row = (await s.server.api('GET', `/api/logs?groupId=${s.groupIds.bd}&from=${since - 1}`)).body.items?.[0]
    }
    const full = (await s.server.api('GET', `/api/logs/${row.id}`)).body
    expect(full.requestBody).toBe(body)
    expect(full.responseBody).toContain('Hello from gpt-4o-mini')
  })
})
