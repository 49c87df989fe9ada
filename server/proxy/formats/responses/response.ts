import { isObj, type IrFinish, type IrRequest, type IrResponse, type IrUsage, type Obj } from '../ir'

const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

export function usageFromResponses(u: unknown): IrUsage | null {
  if (!isObj(u)) return null
  return {
    inputTokens: n(u.input_tokens), outputTokens: n(u.output_tokens),
    cachedTokens: isObj(u.input_tokens_details) ? n(u.input_tokens_details.cached_tokens) : 0,
    reasoningTokens: isObj(u.output_tokens_details) ? n(u.output_tokens_details.reasoning_tokens) : 0,
  }
}

export function usageToResponses(u: IrUsage): Obj {
  return {
    input_tokens: u.inputTokens, input_tokens_details: { cached_tokens: u.cachedTokens },
    output_tokens: u.outputTokens, output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.inputTokens + u.outputTokens,
  }
}

/** status + incomplete_details → IR finish. */
export function finishFromResponse(r: Obj, calledTools: boolean): IrFinish {
  if (r.status === 'incomplete') {
    const reason = isObj(r.incomplete_details) ? r.incomplete_details.reason : undefined
    return reason === 'content_filter' ? 'content_filter' : 'length'
  }
  if (r.status === 'failed') return 'error'
  return calledTools ? 'tool_calls' : 'stop'
}

/** The output items of a response → IR parts. */
export function outputParts(output: unknown): IrResponse['parts'] {
  const parts: IrResponse['parts'] = []
  for (const item of Array.isArray(output) ? output : []) {
    if (!isObj(item)) continue
    if (item.type === 'message') {
      for (const c of Array.isArray(item.content) ? item.content : []) {
        if (isObj(c) && c.type === 'output_text' && typeof c.text === 'string') parts.push({ type: 'text', text: c.text })
        else if (isObj(c) && c.type === 'refusal' && typeof c.refusal === 'string') parts.push({ type: 'text', text: c.refusal })
      }
    } else if (item.type === 'function_call') {
      parts.push({ type: 'tool_call', id: String(item.call_id ?? item.id ?? ''), name: String(item.name ?? ''), arguments: String(item.arguments ?? '{}') })
    } else if (item.type === 'reasoning') {
      const text = (Array.isArray(item.summary) ? item.summary : []).map(s => (isObj(s) && typeof s.text === 'string' ? s.text : '')).join('')
      if (text) parts.push({ type: 'thinking', text })
    }
  }
  return parts
}

/** A Responses API answer → IR. */
export function parseResponsesResponse(json: unknown): IrResponse {
  const j = isObj(json) ? json : {}
  const parts = outputParts(j.output)
  return { id: String(j.id ?? ''), model: String(j.model ?? ''), parts, finish: finishFromResponse(j, parts.some(p => p.type === 'tool_call')), usage: usageFromResponses(j.usage) }
}

export const responseId = (id: string) => (id.startsWith('resp_') ? id : `resp_${id || Date.now().toString(36)}`)

export function messageItem(id: string, text: string, status = 'completed'): Obj {
  return { type: 'message', id, status, role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] }
}
export function functionItem(id: string, callId: string, name: string, args: string, status = 'completed'): Obj {
  return { type: 'function_call', id, call_id: callId, name, arguments: args, status }
}
export function reasoningItem(id: string, text: string): Obj {
  return { type: 'reasoning', id, summary: [{ type: 'summary_text', text }] }
}

/** The response object, as both the plain answer and the stream's last event carry it. */
export function responseObject(
  id: string, model: string, output: Obj[], finish: IrFinish, usage: IrUsage | null, req: IrRequest, createdAt: number,
): Obj {
  const incomplete = finish === 'length' || finish === 'content_filter'
  return {
    id, object: 'response', created_at: createdAt, status: incomplete ? 'incomplete' : 'completed', model: model || req.model, output,
    incomplete_details: incomplete ? { reason: finish === 'length' ? 'max_output_tokens' : 'content_filter' } : null,
    error: null, instructions: null, metadata: {}, parallel_tool_calls: req.parallelToolCalls ?? true, temperature: req.temperature ?? null,
    tool_choice: 'auto', tools: [], top_p: req.topP ?? null, max_output_tokens: req.maxTokens ?? null,
    usage: usage ? usageToResponses(usage) : null,
  }
}

/** IR → a Responses API answer. */
export function renderResponsesResponse(ir: IrResponse, req: IrRequest): Obj {
  const id = responseId(ir.id)
  const output: Obj[] = []
  const thinking = ir.parts.filter(p => p.type === 'thinking').map(p => p.text).join('')
  if (thinking) output.push(reasoningItem(`rs_${id}`, thinking))
  const text = ir.parts.filter(p => p.type === 'text').map(p => p.text).join('')
  if (text) output.push(messageItem(`msg_${id}`, text))
  ir.parts.forEach((p, i) => { if (p.type === 'tool_call') output.push(functionItem(`fc_${id}_${i}`, p.id, p.name, p.arguments)) })
  return responseObject(id, ir.model, output, ir.finish, ir.usage, req, Math.floor(Date.now() / 1000))
}
