import { isObj, type IrFinish, type IrRequest, type IrResponse, type IrUsage, type Obj } from '../ir'

const FINISH_IN: Record<string, IrFinish> = { stop: 'stop', length: 'length', tool_calls: 'tool_calls', function_call: 'tool_calls', content_filter: 'content_filter' }

export function finishFromChat(v: unknown): IrFinish {
  return FINISH_IN[String(v)] ?? 'stop'
}

export function finishToChat(f: IrFinish): string {
  return f === 'stop_sequence' || f === 'error' ? 'stop' : f
}

const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

export function usageFromChat(u: unknown): IrUsage | null {
  if (!isObj(u)) return null
  return {
    inputTokens: n(u.prompt_tokens), outputTokens: n(u.completion_tokens),
    cachedTokens: isObj(u.prompt_tokens_details) ? n(u.prompt_tokens_details.cached_tokens) : 0,
    reasoningTokens: isObj(u.completion_tokens_details) ? n(u.completion_tokens_details.reasoning_tokens) : 0,
  }
}

export function usageToChat(u: IrUsage): Obj {
  return {
    prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens }, completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  }
}

/** A Chat Completions answer → IR (its first choice). */
export function parseChatResponse(json: unknown): IrResponse {
  const j = isObj(json) ? json : {}
  const choice = Array.isArray(j.choices) && isObj(j.choices[0]) ? j.choices[0] : {}
  const msg = isObj(choice.message) ? choice.message : {}
  const parts: IrResponse['parts'] = []
  if (typeof msg.reasoning_content === 'string' && msg.reasoning_content) parts.push({ type: 'thinking', text: msg.reasoning_content })
  if (typeof msg.content === 'string' && msg.content) parts.push({ type: 'text', text: msg.content })
  if (Array.isArray(msg.tool_calls)) {
    for (const c of msg.tool_calls) {
      if (!isObj(c) || !isObj(c.function)) continue
      parts.push({ type: 'tool_call', id: String(c.id ?? ''), name: String(c.function.name ?? ''), arguments: String(c.function.arguments ?? '{}') })
    }
  }
  return { id: String(j.id ?? ''), model: String(j.model ?? ''), parts, finish: finishFromChat(choice.finish_reason), usage: usageFromChat(j.usage) }
}

const created = () => Math.floor(Date.now() / 1000)

/** IR → a Chat Completions answer. */
export function renderChatResponse(ir: IrResponse, req: IrRequest): Obj {
  const text = ir.parts.filter(p => p.type === 'text').map(p => p.text).join('')
  const thinking = ir.parts.filter(p => p.type === 'thinking').map(p => p.text).join('')
  const calls = ir.parts.filter(p => p.type === 'tool_call')
  const message: Obj = { role: 'assistant', content: text || (calls.length ? null : ''), refusal: null }
  if (thinking) message.reasoning_content = thinking
  if (calls.length) message.tool_calls = calls.map(c => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }))
  const out: Obj = {
    id: chatId(ir.id), object: 'chat.completion', created: created(), model: ir.model || req.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishToChat(ir.finish) }],
  }
  if (ir.usage) out.usage = usageToChat(ir.usage)
  return out
}

export const chatId = (id: string) => (id.startsWith('chatcmpl-') ? id : `chatcmpl-${id || Date.now().toString(36)}`)
