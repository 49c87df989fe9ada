import { describe, expect, it } from 'vitest'
import { formatOf } from '../../../../server/proxy/formats'
import { ConversionError, type IrRequest } from '../../../../server/proxy/formats/ir'
import { bodyConverter, SseParser, streamConverter } from '../../../../server/proxy/formats/stream'
import {
  anthropicThinkingRequest, anthropicThinkingToolStream, geminiStream, geminiThinkingToolAnswer, geminiToolRequest,
  openaiToolRequest, openaiToolStream,
} from './fixtures'

const fmt = (api: string) => formatOf(api)!
const q = new URLSearchParams()

/** Pushes `text` through the converter in pieces of `step` bytes (1: byte by byte), returns the client's bytes. */
async function convertStream(from: string, to: string, req: IrRequest, text: string, step: number): Promise<string> {
  const t = streamConverter(fmt(from).streamDecoder(), fmt(to).streamEncoder(req))
  const out: Buffer[] = []
  t.on('data', (c: Buffer) => out.push(c))
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i += step) t.write(bytes.subarray(i, i + step))
  await new Promise<void>((resolve, reject) => { t.on('end', resolve); t.on('error', reject); t.end() })
  return Buffer.concat(out).toString()
}

function events(text: string): { event: string; data: any }[] {
  const out: { event: string; data: any }[] = []
  const p = new SseParser((event, data) => out.push({ event, data: data === '[DONE]' ? data : JSON.parse(data) }))
  p.push(text)
  p.end()
  return out
}

const chatReq = (over: Partial<IrRequest> = {}): IrRequest => ({ ...fmt('openai').parseRequest('/v1/chat/completions', q, { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }), ...over })

describe('SseParser', () => {
  it('finds the same events whatever the chunking, with CRLF, comments and multi-line data', () => {
    const text = ': keep-alive\r\nevent: a\r\ndata: {"x":\r\ndata: 1}\r\n\r\ndata: [DONE]\n\n'
    for (const step of [1, 2, 5, text.length]) {
      const got: [string, string][] = []
      const p = new SseParser((e, d) => got.push([e, d]))
      for (let i = 0; i < text.length; i += step) p.push(text.slice(i, i + step))
      p.end()
      expect(got).toEqual([['a', '{"x":\n1}'], ['', '[DONE]']])
    }
  })

  it('refuses an event that never ends instead of holding it without bound', () => {
    const p = new SseParser(() => {})
    expect(() => p.push(`data: ${'x'.repeat(9 << 20)}`)).toThrow(/8 MiB/)
  })
})

describe('streams', () => {
  it('Anthropic thinking + tool-use stream → OpenAI chunks: reasoning, text, tool call arguments, finish, usage; byte by byte', async () => {
    for (const step of [1, 7, 100000]) {
      const evs = events(await convertStream('anthropic', 'openai', chatReq(), anthropicThinkingToolStream, step))
      expect(evs.at(-1)!.data).toBe('[DONE]')
      const chunks = evs.slice(0, -1).map(e => e.data)
      const deltas = chunks.flatMap(c => c.choices.map((x: any) => x.delta))
      expect(deltas.map((d: any) => d.reasoning_content ?? '').join('')).toBe('The user wants the weather. I should call get_weather.')
      expect(deltas.map((d: any) => d.content ?? '').join('')).toBe('Okay, let\'s check the weather for San Francisco, CA:')
      const calls = deltas.flatMap((d: any) => d.tool_calls ?? [])
      expect(calls[0]).toMatchObject({ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather' } })
      expect(JSON.parse(calls.map((c: any) => c.function.arguments).join(''))).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' })
      expect(chunks.flatMap(c => c.choices.map((x: any) => x.finish_reason)).filter(Boolean)).toEqual(['tool_calls'])
      expect(chunks.at(-1).usage).toMatchObject({
        prompt_tokens: 572, completion_tokens: 89, prompt_tokens_details: { cached_tokens: 100 },
      })
    }
  })

  it('the usage chunk goes to an OpenAI client only when it asked for it', async () => {
    const evs = events(await convertStream('anthropic', 'openai', chatReq({ streamUsage: false }), anthropicThinkingToolStream, 64))
    expect(evs.some(e => e.data !== '[DONE]' && e.data.usage)).toBe(false)
  })

  it('OpenAI tool-call stream → Anthropic events: a tool_use block whose input_json_delta pieces make the arguments', async () => {
    const evs = events(await convertStream('openai', 'anthropic', chatReq(), openaiToolStream, 3))
    expect(evs.map(e => e.event)).toEqual([
      'message_start', 'content_block_start', ...Array(5).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop',
    ])
    expect(evs[1]!.data.content_block).toEqual({ type: 'tool_use', id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather', input: {} })
    expect(JSON.parse(evs.slice(2, 7).map(e => e.data.delta.partial_json).join(''))).toEqual({ location: 'Paris, France' })
    expect(evs.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { input_tokens: 18, cache_read_input_tokens: 64, output_tokens: 17 } })
  })

  it('OpenAI tool-call stream → Gemini chunks: the function call whole, with its arguments as an object', async () => {
    const evs = events(await convertStream('openai', 'gemini', chatReq(), openaiToolStream, 5))
    const parts = evs.flatMap(e => e.data.candidates[0].content.parts)
    expect(parts).toEqual([{ functionCall: { id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather', args: { location: 'Paris, France' } } }])
    expect(evs.at(-1)!.data.candidates[0].finishReason).toBe('STOP')
    expect(evs.at(-1)!.data.usageMetadata).toMatchObject({ promptTokenCount: 82, candidatesTokenCount: 17, cachedContentTokenCount: 64 })
  })

  it('Gemini stream → Responses events: ordered sequence numbers, deltas, and a completed response carrying the whole output', async () => {
    const req = fmt('openai-response').parseRequest('/v1/responses', q, { model: 'm', input: 'hi', stream: true })
    const evs = events(await convertStream('gemini', 'openai-response', req, geminiStream, 11))
    expect(evs.map(e => e.data.sequence_number)).toEqual(evs.map((_, i) => i))
    expect(evs.map(e => e.event)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
    ])
    const done = evs.at(-1)!.data.response
    expect(done.output[0].content[0].text).toBe('The opposite of hot is cold.')
    expect(done.usage).toMatchObject({ input_tokens: 9, output_tokens: 5, total_tokens: 14 })
  })

  it('Anthropic stream → Gemini: thinking as thought parts, and usage with thoughts counted apart', async () => {
    const req = fmt('gemini').parseRequest('/v1beta/models/m:streamGenerateContent', new URLSearchParams('alt=sse'), { contents: [{ parts: [{ text: 'hi' }] }] })
    const evs = events(await convertStream('anthropic', 'gemini', req, anthropicThinkingToolStream, 13))
    const parts = evs.flatMap(e => e.data.candidates[0].content.parts)
    expect(parts.filter((p: any) => p.thought).map((p: any) => p.text).join('')).toBe('The user wants the weather. I should call get_weather.')
    expect(parts.find((p: any) => p.functionCall).functionCall).toMatchObject({ name: 'get_weather', args: { location: 'San Francisco, CA', unit: 'fahrenheit' } })
  })
})

describe('errors inside a stream', () => {
  it("an Anthropic error event mid-stream becomes the client API's stream error", async () => {
    const broken = anthropicThinkingToolStream.split('event: content_block_start')[0]
      + 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    const oa = events(await convertStream('anthropic', 'openai', chatReq(), broken, 9))
    expect(oa.find(e => e.data !== '[DONE]' && e.data.error)!.data.error).toMatchObject({ message: 'Overloaded', code: 'upstream_stream_error' })
    const ge = events(await convertStream('anthropic', 'gemini', chatReq(), broken, 9))
    expect(ge.find(e => e.data.error)!.data.error).toMatchObject({ message: 'Overloaded', status: 'UNAVAILABLE' })
    const req = fmt('openai-response').parseRequest('/v1/responses', q, { model: 'm', input: 'hi', stream: true })
    const rs = events(await convertStream('anthropic', 'openai-response', req, broken, 9))
    expect(rs.at(-1)!.event).toBe('response.failed')
    expect(rs.at(-1)!.data.response.error.message).toBe('Overloaded')
  })
})

describe('plain answers', () => {
  async function convertBody(from: string, to: string, req: IrRequest, body: unknown) {
    const t = bodyConverter(fmt(from).parseResponse, fmt(to).renderResponse, req)
    const out: Buffer[] = []
    t.on('data', (c: Buffer) => out.push(c))
    t.end(Buffer.from(JSON.stringify(body)))
    await new Promise(r => t.on('end', r))
    return JSON.parse(Buffer.concat(out).toString())
  }

  it('Gemini thinking + function call → OpenAI: reasoning_content, a tool call with an id, usage with reasoning tokens', async () => {
    const got = await convertBody('gemini', 'openai', chatReq({ stream: false }), geminiThinkingToolAnswer)
    const msg = got.choices[0].message
    expect(msg.reasoning_content).toContain('Checking the weather')
    expect(msg.tool_calls).toEqual([{ id: 'call_0', type: 'function', function: { name: 'get_current_temperature', arguments: '{"location":"London"}' } }])
    expect(got.choices[0].finish_reason).toBe('tool_calls')
    expect(got.usage).toMatchObject({
      prompt_tokens: 101, completion_tokens: 200,
      prompt_tokens_details: { cached_tokens: 40 }, completion_tokens_details: { reasoning_tokens: 185 },
    })
  })

  it('Gemini → Anthropic: thinking block, tool_use with an object input, stop_reason tool_use', async () => {
    const got = await convertBody('gemini', 'anthropic', chatReq({ stream: false }), geminiThinkingToolAnswer)
    expect(got.content.map((b: any) => b.type)).toEqual(['thinking', 'tool_use'])
    expect(got.content[1]).toMatchObject({ name: 'get_current_temperature', input: { location: 'London' } })
    expect(got.stop_reason).toBe('tool_use')
    expect(got.usage).toEqual({ input_tokens: 61, output_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 40 })
  })

  it('an answer that is not JSON ends the relay as an error instead of reaching the client half-converted', async () => {
    const t = bodyConverter(fmt('openai').parseResponse, fmt('anthropic').renderResponse, chatReq())
    const failed = new Promise<Error>(r => t.on('error', r))
    t.end(Buffer.from('<html>'))
    expect((await failed).message).toMatch(/not JSON/)
  })
})

describe('requests', () => {
  it('OpenAI documented tool request → Gemini: system instruction, declarations, tool config, generation config', () => {
    const ir = fmt('openai').parseRequest('/v1/chat/completions', q, openaiToolRequest)
    const b = fmt('gemini').buildRequest(ir, 'gemini-2.5-flash')
    expect(b.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent')
    expect(b.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'What is the weather like in Boston today?' }] }],
      systemInstruction: { parts: [{ text: 'You are a helpful assistant.' }] },
      tools: [{ functionDeclarations: [{ name: 'get_current_weather', description: 'Get the current weather in a given location', parametersJsonSchema: openaiToolRequest.tools[0]!.function.parameters }] }],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
      generationConfig: { maxOutputTokens: 300, temperature: 0.2, topP: 0.9, stopSequences: ['\n\n'] },
    })
  })

  it('OpenAI reasoning_effort → Anthropic thinking inside max_tokens, and json mode is refused by name', () => {
    const ir = fmt('openai').parseRequest('/v1/chat/completions', q, { ...openaiToolRequest, reasoning_effort: 'low', temperature: undefined })
    // A budget that does not fit in max_tokens (300) is refused, not sent as an invalid thinking budget.
    expect(() => fmt('anthropic').buildRequest(ir, 'claude')).toThrow(/max_tokens: Anthropic thinking needs/)
    const high = fmt('openai').parseRequest('/v1/chat/completions', q, { model: 'm', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'high', max_tokens: 20000 })
    expect(fmt('anthropic').buildRequest(high, 'claude').body).toMatchObject({ max_tokens: 20000, thinking: { type: 'enabled', budget_tokens: 19999 } })
    const medium = fmt('openai').parseRequest('/v1/chat/completions', q, { model: 'm', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'medium' })
    expect(fmt('anthropic').buildRequest(medium, 'claude').body).toMatchObject({ max_tokens: 8192 + 8192, thinking: { type: 'enabled', budget_tokens: 8192 } })
    const json = fmt('openai').parseRequest('/v1/chat/completions', q, { model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } })
    expect(() => fmt('anthropic').buildRequest(json, 'claude')).toThrow(/^response_format:/)
    const hot = fmt('openai').parseRequest('/v1/chat/completions', q, { model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 1.5 })
    expect(() => fmt('anthropic').buildRequest(hot, 'claude')).toThrow(ConversionError)
  })

  it('Anthropic documented thinking + tool result request → OpenAI: tool call and tool message with one id, effort from the budget', () => {
    const ir = fmt('anthropic').parseRequest('/v1/messages', q, anthropicThinkingRequest)
    const b = fmt('openai').buildRequest(ir, 'gpt-5')
    expect(b.body).toEqual({
      model: 'gpt-5',
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: 'What\'s the weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris, France"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' },
      ],
      max_completion_tokens: 16000, stop: ['STOP'],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Get the current weather in a given location', parameters: anthropicThinkingRequest.tools[0]!.input_schema } }],
      tool_choice: 'required', parallel_tool_calls: false, reasoning_effort: 'high',
    })
    // Back to Anthropic, the signed thinking block survives.
    const back = fmt('anthropic').buildRequest(ir, 'claude').body as any
    expect(back.messages[1].content[0]).toEqual({ type: 'thinking', thinking: 'The user wants the weather in Paris.', signature: 'EqQBCgIYAhIM...' })
    expect(back.thinking).toEqual({ type: 'enabled', budget_tokens: 10000 })
  })

  it('Gemini documented function-calling request → Anthropic: ids paired by name, schema types in JSON Schema case, thinking budget', () => {
    const ir = fmt('gemini').parseRequest('/v1beta/models/gemini-2.5-flash:generateContent', q, geminiToolRequest)
    const b = fmt('anthropic').buildRequest(ir, 'claude').body as any
    const use = b.messages[1].content[0]
    expect(use).toMatchObject({ type: 'tool_use', name: 'set_light_values', input: { brightness: 25, color_temp: 'warm' } })
    expect(b.messages[2].content[0]).toEqual({ type: 'tool_result', tool_use_id: use.id, content: '{"brightness":25,"colorTemperature":"warm"}' })
    expect(b.tools[0].input_schema).toEqual({ type: 'object', properties: { brightness: { type: 'number' }, color_temp: { type: 'string', enum: ['daylight', 'cool', 'warm'] } }, required: ['brightness', 'color_temp'] })
    expect(b.tool_choice).toEqual({ type: 'tool', name: 'set_light_values' })
    expect(b).toMatchObject({ system: 'You are a lighting assistant.', max_tokens: 2048, temperature: 0.5, stop_sequences: ['END'], thinking: { type: 'enabled', budget_tokens: 1024 } })
  })

  it('a Responses request → Anthropic and back to Responses keeps call ids; image URLs to Gemini are refused by name', () => {
    const ir = fmt('openai-response').parseRequest('/v1/responses', q, {
      model: 'm', instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: 'https://example.com/cat.png' }] },
        { type: 'function_call', call_id: 'call_9', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call_output', call_id: 'call_9', output: 'ok' },
      ],
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
    })
    const an = fmt('anthropic').buildRequest({ ...ir, responseFormat: undefined }, 'claude').body as any
    expect(an.messages[0].content[1]).toEqual({ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } })
    expect(an.messages[2].content[0].tool_use_id).toBe('call_9')
    const rs = fmt('openai-response').buildRequest(ir, 'gpt').body as any
    expect(rs.input.slice(1)).toEqual([{ type: 'function_call', call_id: 'call_9', name: 'f', arguments: '{"a":1}' }, { type: 'function_call_output', call_id: 'call_9', output: 'ok' }])
    expect(rs.text).toEqual({ format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } })
    expect(() => fmt('gemini').buildRequest(ir, 'g')).toThrow(/^input_image:/)
  })
})
