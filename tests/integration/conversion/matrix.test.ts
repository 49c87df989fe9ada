import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChannelType } from '../../../shared/types/rows'
import { MOCK_USAGE, startMockUpstream, type MockUpstream, type RecordedRequest } from '../../support/mockUpstream'
import { PROVIDER_SCHEMAS } from '../../support/providerSchemas'
import { startSeeded, type Seeded } from '../../support/proxySeed'
import { anthropicClient, geminiClient, openaiChatClient, openaiResponsesClient, PNG, type ClientApi } from './clients'

/**
 * Every client API × every channel of another API: the client's official SDK through Keygate to
 * the mock answering as the channel's provider. What the SDK returns is checked, and so is what
 * the provider received (its own documented request shape, strictly).
 */
const CHANNELS: ChannelType[] = ['openai', 'openai-response', 'anthropic', 'gemini']
const keyOf = (c: ChannelType) => `sk-conv-${c}-upstream-0000000001`
const modelOf = (c: ChannelType) => `m-${c}`

type ClientName = 'openai' | 'openai-response' | 'anthropic' | 'gemini'
const CLIENTS: Record<ClientName, (url: string, key: string) => ClientApi> = {
  'openai': openaiChatClient, 'openai-response': openaiResponsesClient, 'anthropic': anthropicClient, 'gemini': geminiClient,
}
/** Groups of the openai channel serve /v1/responses themselves: that pair is not a conversion. */
const PAIRS = (Object.keys(CLIENTS) as ClientName[]).flatMap(client => CHANNELS
  .filter(ch => ch !== client && !(client === 'openai-response' && ch === 'openai'))
  .map(ch => [client, ch] as const))

const FINISH_STOP: Record<ClientName, string> = { 'openai': 'stop', 'openai-response': 'completed', 'anthropic': 'end_turn', 'gemini': 'STOP' }
const FINISH_TOOL: Record<ClientName, string> = { 'openai': 'tool_calls', 'openai-response': 'tool_calls', 'anthropic': 'tool_use', 'gemini': 'STOP' }

let mock: MockUpstream
let s: Seeded
let pk: string

beforeAll(async () => {
  mock = await startMockUpstream()
  s = await startSeeded(CHANNELS.map(c => ({ name: `conv-${c}`, channel: c, upstreams: [{ url: mock.url, weight: 1 }], models: [modelOf(c)], keys: [keyOf(c)], acceptsConversions: true })))
  pk = s.proxyKeys[0]!
})
afterAll(async () => {
  const out = s?.server.output() ?? ''
  await s?.server.stop()
  await mock?.close()
  for (const c of CHANNELS) expect(out).not.toContain(keyOf(c))
})

/** The one request the last call sent upstream, checked against its provider's schema. */
function received(channel: ChannelType, stream = false): RecordedRequest {
  expect(mock.requests).toHaveLength(1)
  const r = mock.requests[0]!
  const path = { 'openai': '/v1/chat/completions', 'openai-response': '/v1/responses', 'anthropic': '/v1/messages', 'gemini': `/v1beta/models/${modelOf('gemini')}:${stream ? 'streamGenerateContent' : 'generateContent'}` }[channel]
  expect(r.path).toBe(path)
  if (channel === 'gemini' && stream) expect(r.query.get('alt')).toBe('sse')
  expect(r.key).toBe(keyOf(channel))
  const parsed = PROVIDER_SCHEMAS[channel].safeParse(r.json)
  if (!parsed.success) throw new Error(`${channel} request does not match its schema: ${JSON.stringify(parsed.error.issues)}\n${JSON.stringify(r.json)}`)
  return r
}

const expectedUsage = { input: MOCK_USAGE.promptTokens, output: MOCK_USAGE.completionTokens, cached: MOCK_USAGE.cachedTokens }

describe.each(PAIRS)('%s client → %s channel', (client, channel) => {
  const api = () => CLIENTS[client](s.server.url, pk)
  const model = modelOf(channel)
  const text = `Hello from ${model} part1 part2`

  it('plain answer: text, usage, finish reason; system prompt and max tokens sent', async () => {
    mock.reset()
    const got = await api().plain(model)
    expect(got).toMatchObject({ text, usage: expectedUsage, finish: FINISH_STOP[client] })
    const r = received(channel).json
    const sent = JSON.stringify(r)
    expect(sent).toContain('Be brief.')
    expect(sent).toContain('64')
    if (channel === 'anthropic') expect(r.system).toBe('Be brief.')
    if (channel === 'gemini') expect(r.systemInstruction.parts[0].text).toBe('Be brief.')
  })

  it('streamed answer, converted event by event', async () => {
    mock.reset()
    const got = await api().stream(model)
    expect(got).toMatchObject({ text, usage: expectedUsage, finish: FINISH_STOP[client] })
    const r = received(channel, true).json
    if (channel !== 'gemini') expect(r.stream).toBe(true)
  })

  it('a two-turn tool call: the call comes back, its result goes up with the same id', async () => {
    mock.reset()
    mock.setDefault({ toolCall: { id: 'call_mock_1', name: 'get_weather', arguments: { city: 'Paris' } } })
    const first = await api().toolTurn(model)
    mock.setDefault({})
    expect(first.finish).toBe(FINISH_TOOL[client])
    expect(first.toolCalls).toHaveLength(1)
    const call = first.toolCalls[0]!
    expect(call).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } })
    expect(call.id).toBeTruthy()
    const tools = JSON.stringify(received(channel).json)
    expect(tools).toContain('get_weather')
    expect(tools).toContain('city')

    mock.reset()
    const second = await api().toolResult(model, call)
    expect(second.text).toBe(text)
    const up = received(channel).json
    // The provider sees the call and its result under one id (Gemini pairs them by name).
    if (channel === 'openai') {
      const a = up.messages.find((m: any) => m.role === 'assistant')
      const t = up.messages.find((m: any) => m.role === 'tool')
      expect(a.tool_calls[0].function).toEqual({ name: 'get_weather', arguments: JSON.stringify({ city: 'Paris' }) })
      expect(t).toEqual({ role: 'tool', tool_call_id: a.tool_calls[0].id, content: '{"temp":21}' })
    } else if (channel === 'openai-response') {
      const fc = up.input.find((i: any) => i.type === 'function_call')
      const out = up.input.find((i: any) => i.type === 'function_call_output')
      expect(fc).toMatchObject({ name: 'get_weather' })
      expect(JSON.parse(fc.arguments)).toEqual({ city: 'Paris' })
      expect(out).toEqual({ type: 'function_call_output', call_id: fc.call_id, output: '{"temp":21}' })
    } else if (channel === 'anthropic') {
      const use = up.messages[1].content.find((b: any) => b.type === 'tool_use')
      const res = up.messages[2].content.find((b: any) => b.type === 'tool_result')
      expect(use).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } })
      expect(res).toMatchObject({ tool_use_id: use.id, content: '{"temp":21}' })
    } else {
      expect(up.contents[1].parts[0].functionCall).toEqual({ name: 'get_weather', args: { city: 'Paris' } })
      expect(up.contents[2].parts[0].functionResponse).toEqual({ name: 'get_weather', response: { temp: 21 } })
    }
  })

  it('an image input reaches the provider in its own shape', async () => {
    mock.reset()
    const got = await api().image(model)
    expect(got.text).toBe(text)
    const up = received(channel).json
    const sent = JSON.stringify(up)
    expect(sent).toContain(PNG)
    if (channel === 'anthropic') expect(JSON.stringify(up.messages[0].content)).toContain('"media_type":"image/png"')
    if (channel === 'gemini') expect(up.contents[0].parts.some((p: any) => p.inlineData?.mimeType === 'image/png')).toBe(true)
    if (channel === 'openai') expect(sent).toContain(`data:image/png;base64,${PNG}`)
    if (channel === 'openai-response') expect(up.input[0].content.some((c: any) => c.type === 'input_image')).toBe(true)
  })

  it("an upstream error comes back in the client's error shape", async () => {
    mock.reset()
    mock.onKey(keyOf(channel), { status: 400, times: 1 })
    const err: any = await api().error(model)
    expect(err).toBeTruthy()
    expect(err.status).toBe(400)
    expect(String(err.message)).toContain('mock failure 400')
    if (client === 'anthropic') expect(err.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'mock failure 400' } })
    if (client === 'openai' || client === 'openai-response') expect(err.error).toMatchObject({ message: 'mock failure 400', type: 'invalid_request_error' })
    if (client === 'gemini') expect(JSON.parse(err.message).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: 'mock failure 400' })
  })
})

it('the request log records the client API, the channel API and the channel\'s usage of each converted attempt', async () => {
  mock.reset()
  await anthropicClient(s.server.url, pk).plain(modelOf('gemini'))
  await new Promise(r => setTimeout(r, 1500))
  const logs = await s.server.api('GET', `/api/logs?model=${modelOf('gemini')}&pageSize=500`)
  const row = logs.body.items.find((l: any) => l.clientApi === 'anthropic' && l.success)
  expect(row).toMatchObject({ clientApi: 'anthropic', channelApi: 'gemini', path: `/v1beta/models/${modelOf('gemini')}:generateContent`, promptTokens: 11, completionTokens: 7, cachedTokens: 3 })
  const chat = logs.body.items.find((l: any) => l.clientApi === 'openai-response')
  expect(chat).toMatchObject({ channelApi: 'gemini' })
})
