import { isObj, type IrFinish, type IrRequest, type IrResponse, type IrUsage, type Obj } from '../ir'

const FINISH_IN: Record<string, IrFinish> = {
  end_turn: 'stop', max_tokens: 'length', tool_use: 'tool_calls', stop_sequence: 'stop_sequence', refusal: 'content_filter', pause_turn: 'stop',
  model_context_window_exceeded: 'length',
}
const FINISH_OUT: Record<IrFinish, string> = {
  stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', stop_sequence: 'stop_sequence', content_filter: 'refusal', error: 'end_turn',
}

export const finishFromMessages = (v: unknown): IrFinish => FINISH_IN[String(v)] ?? 'stop'
export const finishToMessages = (f: IrFinish) => FINISH_OUT[f]

const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

/** Anthropic counts uncached input, cache writes and cache reads apart; IR input is all of them. */
export function usageFromMessages(u: Obj): IrUsage {
  const cached = n(u.cache_read_input_tokens)
  const input = n(u.input_tokens) + n(u.cache_creation_input_tokens) + cached
  return { inputTokens: input, outputTokens: n(u.output_tokens), cachedTokens: cached, reasoningTokens: 0 }
}

export function usageToMessages(u: IrUsage): Obj {
  return {
    input_tokens: u.inputTokens - u.cachedTokens, output_tokens: u.outputTokens,
    cache_creation_input_tokens: 0, cache_read_input_tokens: u.cachedTokens,
  }
}

/** A Messages API answer → IR. */
export function parseMessagesResponse(json: unknown): IrResponse {
  const j = isObj(json) ? json : {}
  const parts: IrResponse['parts'] = []
  for (const b of Array.isArray(j.content) ? j.content : []) {
    if (!isObj(b)) continue
    if (b.type === 'text' && typeof b.text === 'string') parts.push({ type: 'text', text: b.text })
    else if (b.type === 'thinking' && typeof b.thinking === 'string') parts.push({ type: 'thinking', text: b.thinking, signature: typeof b.signature === 'string' ? b.signature : undefined })
    else if (b.type === 'tool_use') parts.push({ type: 'tool_call', id: String(b.id ?? ''), name: String(b.name ?? ''), arguments: JSON.stringify(b.input ?? {}) })
  }
  return { id: String(j.id ?? ''), model: String(j.model ?? ''), parts, finish: finishFromMessages(j.stop_reason), usage: isObj(j.usage) ? usageFromMessages(j.usage) : null }
}

export const messageId = (id: string) => (id.startsWith('msg_') ? id : `msg_${id || Date.now().toString(36)}`)

/** `{"a":1}` → `{a:1}`; a tool call whose arguments are not a JSON object gets `{}` (Anthropic's input is an object). */
export function toolInput(args: string): Obj {
  try {
    const v: unknown = JSON.parse(args || '{}')
    return isObj(v) ? v : {}
  } catch { return {} }
}

/** IR → a Messages API answer. */
export function renderMessagesResponse(ir: IrResponse, req: IrRequest): Obj {
  const content = ir.parts.map((p) => {
    if (p.type === 'text') return { type: 'text', text: p.text }
    if (p.type === 'thinking') return { type: 'thinking', thinking: p.text, signature: p.signature ?? '' }
    return { type: 'tool_use', id: p.id, name: p.name, input: toolInput(p.arguments) }
  })
  return {
    id: messageId(ir.id), type: 'message', role: 'assistant', model: ir.model || req.model, content,
    stop_reason: finishToMessages(ir.finish), stop_sequence: null,
    usage: usageToMessages(ir.usage ?? { inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0 }),
  }
}
