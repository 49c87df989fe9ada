import {
  arr, ConversionError, fieldOf, imageDataUrl, imageFromUrl, isObj, LIMITS, num, obj, pushMessage, refuseUnknown, resultText, str, toolName,
  type IrMessage, type IrPart, type IrRequest, type IrToolChoice, type Obj,
} from '../ir'
import { effort, effortOf, responseFormat } from '../openai/request'
import type { BuiltRequest } from '../types'

/** Labels only: not forwarded, no effect on the answer (converted answers are never stored upstream). */
const LABELS = ['user', 'metadata', 'store', 'service_tier', 'safety_identifier', 'prompt_cache_key', 'truncation']
const KNOWN = new Set([
  'model', 'input', 'instructions', 'stream', 'max_output_tokens', 'temperature', 'top_p', 'tools', 'tool_choice', 'parallel_tool_calls',
  'text', 'reasoning', 'include', ...LABELS,
])

function contentParts(content: unknown, f: string): IrPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  return arr(content, f, LIMITS.partsPerMessage).map((p, i): IrPart => {
    const pf = `${f}[${i}]`
    const o = obj(p, pf)
    if (o.type === 'input_text' || o.type === 'output_text' || o.type === 'text') return { type: 'text', text: str(o.text, `${pf}.text`) }
    if (o.type === 'input_image') {
      if (o.file_id !== undefined) throw new ConversionError(`${pf}.file_id`, 'uploaded files cannot be converted; send image_url')
      return imageFromUrl(str(o.image_url, `${pf}.image_url`), `${pf}.image_url`)
    }
    if (o.type === 'refusal') return { type: 'text', text: str(o.refusal, `${pf}.refusal`) }
    throw new ConversionError(`${pf}.type`, `"${String(o.type)}" content cannot be converted to the group's API`)
  })
}

function toolChoice(v: unknown): IrToolChoice | undefined {
  if (v === undefined || v === null) return undefined
  if (v === 'auto' || v === 'none' || v === 'required') return { type: v }
  const o = obj(v, 'tool_choice')
  if (o.type === 'function') return { type: 'tool', name: toolName(o.name, 'tool_choice.name') }
  throw new ConversionError('tool_choice', 'must be auto, none, required or a function')
}

/** Responses API request → IR. */
export function parseResponsesRequest(body: Obj): IrRequest {
  refuseUnknown(body, KNOWN)
  if (arr(body.include, 'include', 16).length) throw new ConversionError('include', 'cannot be converted')
  const system: string[] = []
  if (body.instructions !== undefined && body.instructions !== null) system.push(str(body.instructions, 'instructions'))
  const messages: IrMessage[] = []
  const names = new Map<string, string>()
  const items = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : arr(body.input, 'input', LIMITS.messages)
  items.forEach((it, i) => {
    const f = `input[${i}]`
    const o = obj(it, f)
    const type = o.type ?? 'message'
    if (type === 'message') {
      if (o.role === 'system' || o.role === 'developer') { system.push(contentParts(o.content, `${f}.content`).map(p => (p.type === 'text' ? p.text : '')).join('')); return }
      if (o.role !== 'user' && o.role !== 'assistant') throw new ConversionError(`${f}.role`, `"${String(o.role)}" cannot be converted`)
      pushMessage(messages, o.role, contentParts(o.content, `${f}.content`))
    } else if (type === 'function_call') {
      const id = str(o.call_id, `${f}.call_id`)
      const name = toolName(o.name, `${f}.name`)
      names.set(id, name)
      pushMessage(messages, 'assistant', [{ type: 'tool_call', id, name, arguments: str(o.arguments, `${f}.arguments`, true) ?? '{}' }])
    } else if (type === 'function_call_output') {
      const id = str(o.call_id, `${f}.call_id`)
      const name = names.get(id)
      if (!name) throw new ConversionError(`${f}.call_id`, `"${id}" answers no earlier function_call`)
      pushMessage(messages, 'user', [{ type: 'tool_result', id, name, content: resultText(o.output, `${f}.output`), isError: false }])
    } else if (type === 'reasoning') {
      const text = arr(o.summary, `${f}.summary`, LIMITS.partsPerMessage).map(s => (isObj(s) && typeof s.text === 'string' ? s.text : '')).join('')
      if (text) pushMessage(messages, 'assistant', [{ type: 'thinking', text }])
    } else {
      throw new ConversionError(`${f}.type`, `"${String(type)}" items cannot be converted to the group's API`)
    }
  })
  const tools = arr(body.tools, 'tools', LIMITS.tools).map((t, i) => {
    const o = obj(t, `tools[${i}]`)
    if (o.type !== 'function') throw new ConversionError(`tools[${i}].type`, `"${String(o.type)}" tools cannot be converted; only functions`)
    return {
      name: toolName(o.name, `tools[${i}].name`), description: str(o.description, `tools[${i}].description`, true),
      parameters: o.parameters === undefined || o.parameters === null ? { type: 'object', properties: {} } : obj(o.parameters, `tools[${i}].parameters`),
    }
  })
  const text = body.text === undefined || body.text === null ? {} : obj(body.text, 'text')
  const reasoning = body.reasoning === undefined || body.reasoning === null ? undefined : effort(obj(body.reasoning, 'reasoning').effort, 'reasoning.effort')
  return {
    model: str(body.model, 'model'), system, messages, tools, toolChoice: toolChoice(body.tool_choice),
    parallelToolCalls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    maxTokens: num(body.max_output_tokens, 'max_output_tokens'), temperature: num(body.temperature, 'temperature'), topP: num(body.top_p, 'top_p'),
    stop: [], responseFormat: responseFormat(text.format, 'text.format'), reasoning, stream: body.stream === true, streamUsage: true,
    fields: { responseFormat: 'text.format', reasoning: 'reasoning', temperature: 'temperature', topP: 'top_p', parallelToolCalls: 'parallel_tool_calls', image: 'input_image', maxTokens: 'max_output_tokens' },
  }
}

/** IR → a Responses API request (never stored upstream: the client did not ask that of this provider). */
export function buildResponsesRequest(ir: IrRequest, model: string): BuiltRequest {
  const input: Obj[] = []
  for (const m of ir.messages) {
    let content: Obj[] = []
    const flush = () => {
      if (content.length) input.push({ type: 'message', role: m.role, content })
      content = []
    }
    for (const p of m.parts) {
      if (p.type === 'text') content.push({ type: m.role === 'assistant' ? 'output_text' : 'input_text', text: p.text })
      else if (p.type === 'image') content.push({ type: 'input_image', image_url: p.source === 'url' ? p.url : imageDataUrl(p), detail: 'auto' })
      else if (p.type === 'tool_call') { flush(); input.push({ type: 'function_call', call_id: p.id, name: p.name, arguments: p.arguments }) } else if (p.type === 'tool_result') { flush(); input.push({ type: 'function_call_output', call_id: p.id, output: p.content }) }
    }
    flush()
  }
  const body: Obj = { model, input, store: false }
  if (ir.system.length) body.instructions = ir.system.join('\n\n')
  if (ir.maxTokens !== undefined) body.max_output_tokens = ir.maxTokens
  if (ir.temperature !== undefined) body.temperature = ir.temperature
  if (ir.topP !== undefined) body.top_p = ir.topP
  if (ir.topK !== undefined) throw new ConversionError(fieldOf(ir, 'topK'), 'OpenAI has no top_k')
  if (ir.stop.length) throw new ConversionError(fieldOf(ir, 'stop'), 'the Responses API has no stop sequences')
  if (ir.tools.length) body.tools = ir.tools.map(t => ({ type: 'function', name: t.name, description: t.description, parameters: t.parameters, strict: false }))
  if (ir.toolChoice) body.tool_choice = ir.toolChoice.type === 'tool' ? { type: 'function', name: ir.toolChoice.name } : ir.toolChoice.type
  if (ir.parallelToolCalls !== undefined && ir.tools.length) body.parallel_tool_calls = ir.parallelToolCalls
  const rf = ir.responseFormat
  if (rf) body.text = { format: rf.type === 'json' ? { type: 'json_object' } : { type: 'json_schema', name: rf.name, schema: rf.schema, strict: rf.strict ?? false } }
  if (ir.reasoning) body.reasoning = { effort: effortOf(ir.reasoning), summary: 'auto' }
  if (ir.stream) body.stream = true
  return { path: '/v1/responses', query: '', body }
}
