import {
  arr, ConversionError, fieldOf, imageDataUrl, imageFromUrl, isObj, LIMITS, num, obj, pushMessage, refuseUnknown, resultText, str, toolName,
  type IrMessage, type IrPart, type IrReasoning, type IrRequest, type IrResponseFormat, type IrToolChoice, type Obj,
} from '../ir'
import type { BuiltRequest } from '../types'

/** Fields that only label the request for the caller's own accounting: not forwarded, no effect on the answer. */
const LABELS = ['user', 'metadata', 'store', 'service_tier', 'safety_identifier', 'prompt_cache_key']
const KNOWN = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'tools',
  'tool_choice', 'parallel_tool_calls', 'response_format', 'reasoning_effort', 'n', ...LABELS,
])

function userParts(content: unknown, field: string): IrPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  return arr(content, field, LIMITS.partsPerMessage).map((p, i) => {
    const f = `${field}[${i}]`
    const o = obj(p, f)
    if (o.type === 'text') return { type: 'text', text: str(o.text, `${f}.text`) }
    if (o.type === 'image_url') {
      const u = isObj(o.image_url) ? o.image_url.url : o.image_url
      return imageFromUrl(str(u, `${f}.image_url.url`), `${f}.image_url.url`)
    }
    throw new ConversionError(`${f}.type`, `"${String(o.type)}" content cannot be converted to the group's API`)
  })
}

function toolChoice(v: unknown): IrToolChoice | undefined {
  if (v === undefined || v === null) return undefined
  if (v === 'auto' || v === 'none' || v === 'required') return { type: v }
  const o = obj(v, 'tool_choice')
  if (o.type === 'function' && isObj(o.function)) return { type: 'tool', name: toolName(o.function.name, 'tool_choice.function.name') }
  throw new ConversionError('tool_choice', 'must be auto, none, required or a function')
}

export function responseFormat(v: unknown, field: string): IrResponseFormat | undefined {
  if (v === undefined || v === null) return undefined
  const o = obj(v, field)
  if (o.type === 'text') return undefined
  if (o.type === 'json_object') return { type: 'json' }
  if (o.type === 'json_schema') {
    const s = isObj(o.json_schema) ? o.json_schema : o
    return { type: 'json_schema', name: str(s.name, `${field}.name`, true) ?? 'response', schema: obj(s.schema, `${field}.schema`), strict: s.strict === true }
  }
  throw new ConversionError(`${field}.type`, `"${String(o.type)}" is not a known response format`)
}

export function effort(v: unknown, field: string): IrReasoning | undefined {
  if (v === undefined || v === null) return undefined
  if (v === 'minimal' || v === 'low' || v === 'medium' || v === 'high') return { effort: v }
  throw new ConversionError(field, 'must be minimal, low, medium or high')
}

/** Chat Completions request → IR. */
export function parseChatRequest(body: Obj): IrRequest {
  refuseUnknown(body, KNOWN)
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw new ConversionError('n', 'only 1 choice can be converted')
  const system: string[] = []
  const messages: IrMessage[] = []
  const names = new Map<string, string>()
  arr(body.messages, 'messages', LIMITS.messages).forEach((m, i) => {
    const f = `messages[${i}]`
    const o = obj(m, f)
    switch (o.role) {
      case 'system':
      case 'developer':
        system.push(resultText(o.content, `${f}.content`))
        return
      case 'user':
        pushMessage(messages, 'user', userParts(o.content, `${f}.content`))
        return
      case 'assistant': {
        const parts: IrPart[] = []
        if (typeof o.reasoning_content === 'string' && o.reasoning_content) parts.push({ type: 'thinking', text: o.reasoning_content })
        const text = o.content === null || o.content === undefined ? '' : resultText(o.content, `${f}.content`)
        if (text) parts.push({ type: 'text', text })
        arr(o.tool_calls, `${f}.tool_calls`, LIMITS.tools).forEach((c, j) => {
          const cf = `${f}.tool_calls[${j}]`
          const call = obj(c, cf)
          if (call.type !== undefined && call.type !== 'function') throw new ConversionError(`${cf}.type`, 'only function tool calls can be converted')
          const fn = obj(call.function, `${cf}.function`)
          const id = str(call.id, `${cf}.id`)
          const name = toolName(fn.name, `${cf}.function.name`)
          names.set(id, name)
          parts.push({ type: 'tool_call', id, name, arguments: str(fn.arguments, `${cf}.function.arguments`, true) ?? '{}' })
        })
        pushMessage(messages, 'assistant', parts)
        return
      }
      case 'tool': {
        const id = str(o.tool_call_id, `${f}.tool_call_id`)
        const name = names.get(id)
        if (!name) throw new ConversionError(`${f}.tool_call_id`, `"${id}" answers no earlier tool call`)
        pushMessage(messages, 'user', [{ type: 'tool_result', id, name, content: resultText(o.content, `${f}.content`), isError: false }])
        return
      }
      default:
        throw new ConversionError(`${f}.role`, `"${String(o.role)}" cannot be converted`)
    }
  })
  const tools = arr(body.tools, 'tools', LIMITS.tools).map((t, i) => {
    const o = obj(t, `tools[${i}]`)
    if (o.type !== 'function') throw new ConversionError(`tools[${i}].type`, `"${String(o.type)}" tools cannot be converted; only functions`)
    const fn = obj(o.function, `tools[${i}].function`)
    return {
      name: toolName(fn.name, `tools[${i}].function.name`), description: str(fn.description, `tools[${i}].function.description`, true),
      parameters: fn.parameters === undefined ? { type: 'object', properties: {} } : obj(fn.parameters, `tools[${i}].function.parameters`),
    }
  })
  const stop = typeof body.stop === 'string' ? [body.stop] : arr(body.stop, 'stop', LIMITS.stop).map((s, i) => str(s, `stop[${i}]`))
  const stream = body.stream === true
  return {
    model: str(body.model, 'model'), system, messages, tools, toolChoice: toolChoice(body.tool_choice),
    parallelToolCalls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    maxTokens: num(body.max_completion_tokens, 'max_completion_tokens') ?? num(body.max_tokens, 'max_tokens'),
    temperature: num(body.temperature, 'temperature'), topP: num(body.top_p, 'top_p'), stop,
    responseFormat: responseFormat(body.response_format, 'response_format'), reasoning: effort(body.reasoning_effort, 'reasoning_effort'),
    stream, streamUsage: stream && isObj(body.stream_options) && body.stream_options.include_usage === true,
    fields: { responseFormat: 'response_format', reasoning: 'reasoning_effort', temperature: 'temperature', topP: 'top_p', parallelToolCalls: 'parallel_tool_calls', image: 'image_url', maxTokens: 'max_tokens' },
  }
}

/** A budget of thinking tokens as the nearest effort level (OpenAI names levels, not budgets). */
export function effortOf(r: IrReasoning): 'minimal' | 'low' | 'medium' | 'high' {
  if (r.effort) return r.effort
  const b = r.budgetTokens ?? 0
  return b <= 1024 ? 'low' : b <= 8192 ? 'medium' : 'high'
}

/** IR → a Chat Completions request. */
export function buildChatRequest(ir: IrRequest, model: string): BuiltRequest {
  const messages: Obj[] = ir.system.map(content => ({ role: 'system', content }))
  for (const m of ir.messages) {
    if (m.role === 'assistant') {
      const text = m.parts.filter(p => p.type === 'text').map(p => p.text).join('')
      const calls = m.parts.filter(p => p.type === 'tool_call')
      const out: Obj = { role: 'assistant', content: text || null }
      if (calls.length) out.tool_calls = calls.map(c => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }))
      messages.push(out)
      continue
    }
    // Tool results are messages of their own, right after the assistant turn that called them.
    const content: Obj[] = []
    for (const p of m.parts) {
      if (p.type === 'tool_result') messages.push({ role: 'tool', tool_call_id: p.id, content: p.content })
      else if (p.type === 'text') content.push({ type: 'text', text: p.text })
      else if (p.type === 'image') content.push({ type: 'image_url', image_url: { url: p.source === 'url' ? p.url : imageDataUrl(p) } })
    }
    if (content.length) messages.push({ role: 'user', content: content.every(c => c.type === 'text') ? content.map(c => c.text).join('') : content })
  }
  const body: Obj = { model, messages }
  if (ir.maxTokens !== undefined) body[ir.reasoning ? 'max_completion_tokens' : 'max_tokens'] = ir.maxTokens
  if (ir.temperature !== undefined) body.temperature = ir.temperature
  if (ir.topP !== undefined) body.top_p = ir.topP
  if (ir.topK !== undefined) throw new ConversionError(fieldOf(ir, 'topK'), 'OpenAI has no top_k')
  if (ir.stop.length) body.stop = ir.stop
  if (ir.tools.length) body.tools = ir.tools.map(t => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }))
  if (ir.toolChoice) body.tool_choice = ir.toolChoice.type === 'tool' ? { type: 'function', function: { name: ir.toolChoice.name } } : ir.toolChoice.type
  if (ir.parallelToolCalls !== undefined && ir.tools.length) body.parallel_tool_calls = ir.parallelToolCalls
  const rf = ir.responseFormat
  if (rf) body.response_format = rf.type === 'json' ? { type: 'json_object' } : { type: 'json_schema', json_schema: { name: rf.name, schema: rf.schema, strict: rf.strict ?? false } }
  if (ir.reasoning) body.reasoning_effort = effortOf(ir.reasoning)
  if (ir.stream) { body.stream = true; body.stream_options = { include_usage: true } }
  return { path: '/v1/chat/completions', query: '', body }
}
