import {
  arr, ConversionError, fieldOf, LIMITS, num, obj, parseArguments, pushMessage, refuseUnknown, resultText, str, toolName,
  type IrMessage, type IrPart, type IrRequest, type IrToolChoice, type Obj,
} from '../ir'
import type { BuiltRequest } from '../types'

/** Labels only (end-user id, prompt-cache hints): not forwarded, no effect on the answer. */
const LABELS = ['metadata', 'service_tier']
const KNOWN = new Set([
  'model', 'messages', 'system', 'max_tokens', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k', 'tools', 'tool_choice', 'thinking', ...LABELS,
])

/** Anthropic asks for a max_tokens; an OpenAI or Gemini client that names none gets this much. */
export const DEFAULT_MAX_TOKENS = 8192

function image(o: Obj, f: string): IrPart {
  const s = obj(o.source, `${f}.source`)
  if (s.type === 'base64') return { type: 'image', source: 'base64', mediaType: str(s.media_type, `${f}.source.media_type`), data: str(s.data, `${f}.source.data`) }
  if (s.type === 'url') return { type: 'image', source: 'url', url: str(s.url, `${f}.source.url`) }
  throw new ConversionError(`${f}.source.type`, `"${String(s.type)}" image sources cannot be converted`)
}

function blocks(content: unknown, f: string, role: 'user' | 'assistant', names: Map<string, string>): IrPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  return arr(content, f, LIMITS.partsPerMessage).map((b, i): IrPart => {
    const bf = `${f}[${i}]`
    const o = obj(b, bf)
    switch (o.type) {
      case 'text': return { type: 'text', text: str(o.text, `${bf}.text`) }
      case 'image': return image(o, bf)
      case 'thinking': return { type: 'thinking', text: str(o.thinking, `${bf}.thinking`), signature: str(o.signature, `${bf}.signature`, true) }
      case 'tool_use': {
        if (role !== 'assistant') throw new ConversionError(`${bf}.type`, 'tool_use belongs to assistant messages')
        const id = str(o.id, `${bf}.id`)
        const name = toolName(o.name, `${bf}.name`)
        names.set(id, name)
        return { type: 'tool_call', id, name, arguments: JSON.stringify(o.input === undefined ? {} : obj(o.input, `${bf}.input`)) }
      }
      case 'tool_result': {
        const id = str(o.tool_use_id, `${bf}.tool_use_id`)
        const name = names.get(id)
        if (!name) throw new ConversionError(`${bf}.tool_use_id`, `"${id}" answers no earlier tool_use`)
        return { type: 'tool_result', id, name, content: resultText(o.content, `${bf}.content`), isError: o.is_error === true }
      }
      default:
        throw new ConversionError(`${bf}.type`, `"${String(o.type)}" content cannot be converted to the group's API`)
    }
  })
}

function toolChoice(v: unknown): { choice?: IrToolChoice; parallel?: boolean } {
  if (v === undefined || v === null) return {}
  const o = obj(v, 'tool_choice')
  const parallel = o.disable_parallel_tool_use === true ? false : undefined
  switch (o.type) {
    case 'auto': return { choice: { type: 'auto' }, parallel }
    case 'any': return { choice: { type: 'required' }, parallel }
    case 'none': return { choice: { type: 'none' } }
    case 'tool': return { choice: { type: 'tool', name: toolName(o.name, 'tool_choice.name') }, parallel }
    default: throw new ConversionError('tool_choice.type', `"${String(o.type)}" is not a known tool choice`)
  }
}

/** Messages API request → IR. */
export function parseMessagesRequest(body: Obj): IrRequest {
  refuseUnknown(body, KNOWN)
  const system = typeof body.system === 'string' ? [body.system] : body.system === undefined ? [] : [resultText(body.system, 'system')]
  const names = new Map<string, string>()
  const messages: IrMessage[] = []
  arr(body.messages, 'messages', LIMITS.messages).forEach((m, i) => {
    const o = obj(m, `messages[${i}]`)
    if (o.role !== 'user' && o.role !== 'assistant') throw new ConversionError(`messages[${i}].role`, `"${String(o.role)}" is not user or assistant`)
    pushMessage(messages, o.role, blocks(o.content, `messages[${i}].content`, o.role, names))
  })
  const tools = arr(body.tools, 'tools', LIMITS.tools).map((t, i) => {
    const o = obj(t, `tools[${i}]`)
    if (o.type !== undefined && o.type !== 'custom') throw new ConversionError(`tools[${i}].type`, `"${String(o.type)}" server tools cannot be converted; only custom tools`)
    return { name: toolName(o.name, `tools[${i}].name`), description: str(o.description, `tools[${i}].description`, true), parameters: obj(o.input_schema, `tools[${i}].input_schema`) }
  })
  const { choice, parallel } = toolChoice(body.tool_choice)
  let reasoning: IrRequest['reasoning']
  if (body.thinking !== undefined && body.thinking !== null) {
    const t = obj(body.thinking, 'thinking')
    if (t.type === 'enabled') reasoning = { budgetTokens: num(t.budget_tokens, 'thinking.budget_tokens') ?? 1024 }
    else if (t.type !== 'disabled') throw new ConversionError('thinking.type', `"${String(t.type)}" cannot be converted`)
  }
  return {
    model: str(body.model, 'model'), system, messages, tools, toolChoice: choice, parallelToolCalls: parallel,
    maxTokens: num(body.max_tokens, 'max_tokens'), temperature: num(body.temperature, 'temperature'), topP: num(body.top_p, 'top_p'),
    topK: num(body.top_k, 'top_k'), stop: arr(body.stop_sequences, 'stop_sequences', LIMITS.stop).map((s, i) => str(s, `stop_sequences[${i}]`)),
    reasoning, stream: body.stream === true, streamUsage: true,
    fields: { reasoning: 'thinking', temperature: 'temperature', topK: 'top_k', topP: 'top_p', parallelToolCalls: 'tool_choice.disable_parallel_tool_use', image: 'image', maxTokens: 'max_tokens', stop: 'stop_sequences' },
  }
}

const EFFORT_BUDGET = { minimal: 1024, low: 2048, medium: 8192, high: 24576 } as const

/** IR → a Messages API request. */
export function buildMessagesRequest(ir: IrRequest, model: string): BuiltRequest {
  const messages = ir.messages.map((m) => {
    // A user turn that answers tool calls must start with its tool results.
    const parts = m.role === 'user' ? [...m.parts.filter(p => p.type === 'tool_result'), ...m.parts.filter(p => p.type !== 'tool_result')] : m.parts
    const content: Obj[] = []
    for (const p of parts) {
      switch (p.type) {
        case 'text': if (p.text) content.push({ type: 'text', text: p.text }); break
        case 'image': content.push({ type: 'image', source: p.source === 'url' ? { type: 'url', url: p.url } : { type: 'base64', media_type: p.mediaType, data: p.data } }); break
        case 'tool_call': content.push({ type: 'tool_use', id: p.id, name: p.name, input: parseArguments(p.arguments, 'tool_calls.function.arguments') }); break
        case 'tool_result': content.push({ type: 'tool_result', tool_use_id: p.id, content: p.content, ...(p.isError ? { is_error: true } : {}) }); break
        // Earlier thinking goes back only with Anthropic's signature; other providers' reasoning cannot be verified there.
        case 'thinking': if (p.signature) content.push({ type: 'thinking', thinking: p.text, signature: p.signature }); break
      }
    }
    return { role: m.role, content }
  }).filter(m => m.content.length)
  const body: Obj = { model, messages, max_tokens: ir.maxTokens ?? DEFAULT_MAX_TOKENS }
  if (ir.system.length) body.system = ir.system.join('\n\n')
  if (ir.temperature !== undefined) {
    if (ir.temperature > 1) throw new ConversionError(fieldOf(ir, 'temperature'), 'Anthropic takes a temperature from 0 to 1')
    body.temperature = ir.temperature
  }
  if (ir.topP !== undefined) body.top_p = ir.topP
  if (ir.topK !== undefined) body.top_k = ir.topK
  if (ir.stop.length) body.stop_sequences = ir.stop
  if (ir.tools.length) {
    body.tools = ir.tools.map(t => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.parameters }))
  }
  const tc = ir.toolChoice
  if (tc || (ir.parallelToolCalls === false && ir.tools.length)) {
    const choice: Obj = !tc || tc.type === 'auto' ? { type: 'auto' } : tc.type === 'required' ? { type: 'any' } : tc.type === 'none' ? { type: 'none' } : { type: 'tool', name: tc.name }
    if (ir.parallelToolCalls === false && choice.type !== 'none') choice.disable_parallel_tool_use = true
    body.tool_choice = choice
  }
  if (ir.responseFormat) throw new ConversionError(fieldOf(ir, 'responseFormat'), 'Anthropic has no JSON mode or structured output to convert it to')
  if (ir.reasoning) {
    let budget = ir.reasoning.budgetTokens ?? EFFORT_BUDGET[ir.reasoning.effort ?? 'medium']
    const max = body.max_tokens as number
    // Anthropic counts thinking inside max_tokens, as OpenAI counts reasoning inside max_completion_tokens.
    if (ir.maxTokens === undefined) body.max_tokens = budget + DEFAULT_MAX_TOKENS
    else if (budget >= max) budget = max - 1
    if (budget < 1024) throw new ConversionError(fieldOf(ir, 'maxTokens'), 'Anthropic thinking needs max_tokens above 1024')
    body.thinking = { type: 'enabled', budget_tokens: budget }
  }
  if (ir.stream) body.stream = true
  return { path: '/v1/messages', query: '', body }
}
