import type { ChannelType } from '../shared/channels'

export type SnippetKind = 'openai' | 'anthropic' | 'gemini' | 'curl'
export type Snippet = { kind: SnippetKind; native: boolean; code: string }

/** The SDK that speaks a channel's own API. */
const NATIVE: Record<ChannelType, SnippetKind> = { 'openai': 'openai', 'openai-response': 'openai', 'anthropic': 'anthropic', 'gemini': 'gemini' }

/** A model worth putting in an example: the first plain name the group serves, else its test model. */
export function exampleModel(models: readonly string[], testModel: string, fallback: string): string {
  return models.find(m => !m.includes('*')) ?? (testModel || fallback)
}

/**
 * Copy-and-run examples for a group: its own channel's SDK on `/proxy/{name}` (always this
 * group), the other SDKs on the unified routes (this group when it serves the model and, for
 * another API than its own, accepts conversions), and curl on the group's endpoint.
 * `base` is where clients reach the gateway (useEndpointBase).
 */
export function groupSnippets(opts: { base: string; endpoint: string; channel: ChannelType; model: string }): Snippet[] {
  const { base, endpoint, channel, model } = opts
  const native = NATIVE[channel]
  const q = JSON.stringify
  const openaiBase = native === 'openai' ? `${endpoint}/v1` : `${base}/v1`
  const anthropicBase = native === 'anthropic' ? endpoint : base
  const geminiBase = native === 'gemini' ? endpoint : base
  const responses = channel === 'openai-response'
  const openai = responses
    ? `import OpenAI from 'openai'\n\nconst client = new OpenAI({ baseURL: ${q(openaiBase)}, apiKey: process.env.KEYGATE_KEY })\nconst r = await client.responses.create({ model: ${q(model)}, input: 'Hello' })\nconsole.log(r.output_text)`
    : `import OpenAI from 'openai'\n\nconst client = new OpenAI({ baseURL: ${q(openaiBase)}, apiKey: process.env.KEYGATE_KEY })\nconst r = await client.chat.completions.create({ model: ${q(model)}, messages: [{ role: 'user', content: 'Hello' }] })\nconsole.log(r.choices[0].message.content)`
  const anthropic = `import Anthropic from '@anthropic-ai/sdk'\n\nconst client = new Anthropic({ baseURL: ${q(anthropicBase)}, apiKey: process.env.KEYGATE_KEY })\nconst r = await client.messages.create({ model: ${q(model)}, max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] })\nconsole.log(r.content)`
  const gemini = `import { GoogleGenAI } from '@google/genai'\n\nconst ai = new GoogleGenAI({ apiKey: process.env.KEYGATE_KEY, httpOptions: { baseUrl: ${q(geminiBase)} } })\nconst r = await ai.models.generateContent({ model: ${q(model)}, contents: 'Hello' })\nconsole.log(r.text)`
  const curl = {
    'openai': `curl ${endpoint}/v1/chat/completions \\\n  -H "Authorization: Bearer $KEYGATE_KEY" -H "Content-Type: application/json" \\\n  -d '{"model": ${q(model)}, "messages": [{"role": "user", "content": "Hello"}]}'`,
    'openai-response': `curl ${endpoint}/v1/responses \\\n  -H "Authorization: Bearer $KEYGATE_KEY" -H "Content-Type: application/json" \\\n  -d '{"model": ${q(model)}, "input": "Hello"}'`,
    'anthropic': `curl ${endpoint}/v1/messages \\\n  -H "x-api-key: $KEYGATE_KEY" -H "anthropic-version: 2023-06-01" -H "Content-Type: application/json" \\\n  -d '{"model": ${q(model)}, "max_tokens": 256, "messages": [{"role": "user", "content": "Hello"}]}'`,
    'gemini': `curl "${endpoint}/v1beta/models/${model}:generateContent" \\\n  -H "x-goog-api-key: $KEYGATE_KEY" -H "Content-Type: application/json" \\\n  -d '{"contents": [{"parts": [{"text": "Hello"}]}]}'`,
  }[channel]
  return [
    { kind: 'openai', native: native === 'openai', code: openai },
    { kind: 'anthropic', native: native === 'anthropic', code: anthropic },
    { kind: 'gemini', native: native === 'gemini', code: gemini },
    { kind: 'curl', native: true, code: curl },
  ]
}
