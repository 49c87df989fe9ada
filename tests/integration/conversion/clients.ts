import { expect } from 'vitest'
import Anthropic from '@anthropic-ai/sdk'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'

/**
 * Each client API through its official SDK, reduced to what a user reads off the answer: text,
 * tool calls, usage and finish reason. Usage `input` counts cached tokens too, whatever the API.
 */
export type Answer = {
  text: string
  toolCalls: { id: string; name: string; args: unknown }[]
  usage: { input: number; output: number; cached: number }
  finish: string
}
export type ToolCall = Answer['toolCalls'][number]

export const WEATHER_TOOL = { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }
/** A 1×1 PNG. */
export const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='

export interface ClientApi {
  plain(model: string): Promise<Answer>
  stream(model: string): Promise<Answer>
  /** Asks with the weather tool. */
  toolTurn(model: string): Promise<Answer>
  /** Sends the call back with its result (`{"temp":21}`). */
  toolResult(model: string, call: ToolCall): Promise<Answer>
  image(model: string): Promise<Answer>
  /** Whatever the SDK throws. */
  error(model: string): Promise<unknown>
}

const chatUsage = (u: OpenAI.CompletionUsage) => ({
  input: u.prompt_tokens, output: u.completion_tokens, cached: u.prompt_tokens_details?.cached_tokens ?? 0,
})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

export function openaiChatClient(baseURL: string, apiKey: string): ClientApi {
  const c = new OpenAI({ apiKey, baseURL: `${baseURL}/v1`, maxRetries: 0 })
  const ask = (model: string) => ({ model, max_tokens: 64, messages: [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'hi' }] })
  const tools = [{ type: 'function' as const, function: WEATHER_TOOL }]
  const read = (r: OpenAI.ChatCompletion): Answer => ({
    text: r.choices[0]!.message.content ?? '',
    toolCalls: (r.choices[0]!.message.tool_calls ?? []).map(t => (t.type === 'function' ? { id: t.id, name: t.function.name, args: JSON.parse(t.function.arguments) } : { id: t.id, name: '', args: null })),
    usage: chatUsage(r.usage!),
    finish: r.choices[0]!.finish_reason,
  })
  return {
    plain: async model => read(await c.chat.completions.create(ask(model))),
    async stream(model) {
      const chunks = await collect(await c.chat.completions.create({
        ...ask(model), stream: true, stream_options: { include_usage: true },
      }))
      return {
        text: chunks.map(k => k.choices[0]?.delta.content ?? '').join(''), toolCalls: [], usage: chatUsage(chunks.at(-1)!.usage!),
        finish: chunks.map(k => k.choices[0]?.finish_reason).filter(Boolean).at(-1) ?? '',
      }
    },
    toolTurn: async model => read(await c.chat.completions.create({ ...ask(model), tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] })),
    toolResult: async (model, call) => read(await c.chat.completions.create({
      ...ask(model), tools, messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args) } }] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' },
      ],
    })),
    image: async model => read(await c.chat.completions.create({
      model, max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }],
    })),
    error: model => c.chat.completions.create(ask(model)).then(() => null, e => e),
  }
}

export function openaiResponsesClient(baseURL: string, apiKey: string): ClientApi {
  const c = new OpenAI({ apiKey, baseURL: `${baseURL}/v1`, maxRetries: 0 })
  const ask = (model: string) => ({ model, instructions: 'Be brief.', input: 'hi', max_output_tokens: 64 })
  const tools = [{ type: 'function' as const, ...WEATHER_TOOL, strict: false }]
  const read = (r: OpenAI.Responses.Response): Answer => ({
    text: r.output_text,
    toolCalls: r.output.flatMap(o => (o.type === 'function_call' ? [{ id: o.call_id, name: o.name, args: JSON.parse(o.arguments) }] : [])),
    usage: { input: r.usage!.input_tokens, output: r.usage!.output_tokens, cached: r.usage!.input_tokens_details.cached_tokens },
    finish: r.output.some(o => o.type === 'function_call') ? 'tool_calls' : r.status!,
  })
  return {
    plain: async model => read(await c.responses.create(ask(model))),
    async stream(model) {
      const s = c.responses.stream(ask(model))
      let text = ''
      s.on('response.output_text.delta', (e) => { text += e.delta })
      const r = read(await s.finalResponse())
      expect(r.text).toBe(text)
      return r
    },
    toolTurn: async model => read(await c.responses.create({ ...ask(model), tools, input: 'Weather in Paris?' })),
    toolResult: async (model, call) => read(await c.responses.create({
      ...ask(model), tools, input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: call.id, name: call.name, arguments: JSON.stringify(call.args) },
        { type: 'function_call_output', call_id: call.id, output: '{"temp":21}' },
      ],
    })),
    image: async model => read(await c.responses.create({
      model, input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'auto' }] }],
    })),
    error: model => c.responses.create(ask(model)).then(() => null, e => e),
  }
}

export function anthropicClient(baseURL: string, apiKey: string): ClientApi {
  const c = new Anthropic({ apiKey, authToken: null, baseURL, maxRetries: 0 })
  const ask = (model: string) => ({ model, max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user' as const, content: 'hi' }] })
  const { name, description } = WEATHER_TOOL
  const tools = [{ name, description, input_schema: WEATHER_TOOL.parameters as Anthropic.Tool.InputSchema }]
  const read = (m: Anthropic.Message): Answer => ({
    text: m.content.map(b => (b.type === 'text' ? b.text : '')).join(''),
    toolCalls: m.content.flatMap(b => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, args: b.input }] : [])),
    usage: {
      input: m.usage.input_tokens + (m.usage.cache_read_input_tokens ?? 0) + (m.usage.cache_creation_input_tokens ?? 0),
      output: m.usage.output_tokens, cached: m.usage.cache_read_input_tokens ?? 0,
    },
    finish: m.stop_reason ?? '',
  })
  return {
    plain: async model => read(await c.messages.create(ask(model))),
    async stream(model) {
      const s = c.messages.stream(ask(model))
      let text = ''
      s.on('text', (t) => { text += t })
      const r = read(await s.finalMessage())
      expect(r.text).toBe(text)
      return r
    },
    toolTurn: async model => read(await c.messages.create({ ...ask(model), tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] })),
    toolResult: async (model, call) => read(await c.messages.create({
      ...ask(model), tools, messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: call.name, input: call.args }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '{"temp":21}' }] },
      ],
    })),
    image: async model => read(await c.messages.create({
      model, max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }, { type: 'text', text: 'What is this?' }] }],
    })),
    error: model => c.messages.create(ask(model)).then(() => null, e => e),
  }
}

export function geminiClient(baseURL: string, apiKey: string): ClientApi {
  const ai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl: baseURL } })
  const config = { systemInstruction: 'Be brief.', maxOutputTokens: 64 }
  const tools = [{
    functionDeclarations: [{
      name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parametersJsonSchema: WEATHER_TOOL.parameters,
    }],
  }]
  type R = Awaited<ReturnType<typeof ai.models.generateContent>>
  const read = (r: R): Answer => ({
    text: r.text ?? '',
    toolCalls: (r.functionCalls ?? []).map(f => ({ id: f.id ?? '', name: f.name ?? '', args: f.args })),
    usage: {
      input: r.usageMetadata?.promptTokenCount ?? 0,
      output: (r.usageMetadata?.candidatesTokenCount ?? 0) + (r.usageMetadata?.thoughtsTokenCount ?? 0),
      cached: r.usageMetadata?.cachedContentTokenCount ?? 0,
    },
    finish: r.candidates?.[0]?.finishReason ?? '',
  })
  return {
    plain: async model => read(await ai.models.generateContent({ model, contents: 'hi', config })),
    async stream(model) {
      const chunks = await collect(await ai.models.generateContentStream({ model, contents: 'hi', config }))
      const last = read(chunks.at(-1)!)
      return { ...last, text: chunks.map(k => k.text ?? '').join('') }
    },
    toolTurn: async model => read(await ai.models.generateContent({ model, contents: 'Weather in Paris?', config: { ...config, tools } })),
    toolResult: async (model, call) => read(await ai.models.generateContent({
      model, config: { ...config, tools }, contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: { id: call.id, name: call.name, args: call.args as Record<string, unknown> } }] },
        { role: 'user', parts: [{ functionResponse: { id: call.id, name: call.name, response: { temp: 21 } } }] },
      ],
    })),
    image: async model => read(await ai.models.generateContent({ model, contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: PNG } }, { text: 'What is this?' }] }] })),
    error: model => ai.models.generateContent({ model, contents: 'hi', config }).then(() => null, e => e),
  }
}
