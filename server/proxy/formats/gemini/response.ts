import { isObj, type IrFinish, type IrRequest, type IrResponse, type IrUsage, type Obj } from '../ir'

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY'])

export function finishFromGemini(v: unknown, calledTools: boolean): IrFinish {
  if (v === 'MAX_TOKENS') return 'length'
  if (FILTERED.has(String(v))) return 'content_filter'
  if (v === 'MALFORMED_FUNCTION_CALL') return 'error'
  return calledTools ? 'tool_calls' : 'stop'
}

export function finishToGemini(f: IrFinish): string {
  return f === 'length' ? 'MAX_TOKENS' : f === 'content_filter' ? 'SAFETY' : f === 'error' ? 'OTHER' : 'STOP'
}

const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

/** Thinking tokens are billed as output: IR output includes them. */
export function usageFromGemini(u: unknown): IrUsage | null {
  if (!isObj(u)) return null
  const thoughts = n(u.thoughtsTokenCount)
  return {
    inputTokens: n(u.promptTokenCount), outputTokens: n(u.candidatesTokenCount) + thoughts,
    cachedTokens: n(u.cachedContentTokenCount), reasoningTokens: thoughts,
  }
}

export function usageToGemini(u: IrUsage): Obj {
  const out: Obj = {
    promptTokenCount: u.inputTokens, candidatesTokenCount: u.outputTokens - u.reasoningTokens,
    totalTokenCount: u.inputTokens + u.outputTokens,
  }
  if (u.cachedTokens) out.cachedContentTokenCount = u.cachedTokens
  if (u.reasoningTokens) out.thoughtsTokenCount = u.reasoningTokens
  return out
}

/** The parts of a chunk's first candidate, as IR parts (function calls get ids when Gemini sent none). */
export function candidateParts(j: Obj, nextId: () => string): IrResponse['parts'] {
  const c = Array.isArray(j.candidates) && isObj(j.candidates[0]) ? j.candidates[0] : {}
  const content = isObj(c.content) ? c.content : {}
  const out: IrResponse['parts'] = []
  for (const p of Array.isArray(content.parts) ? content.parts : []) {
    if (!isObj(p)) continue
    if (typeof p.text === 'string') {
      if (p.thought === true) out.push({ type: 'thinking', text: p.text, signature: typeof p.thoughtSignature === 'string' ? p.thoughtSignature : undefined })
      else if (p.text) out.push({ type: 'text', text: p.text })
    } else if (isObj(p.functionCall)) {
      const fc = p.functionCall
      out.push({ type: 'tool_call', id: typeof fc.id === 'string' && fc.id ? fc.id : nextId(), name: String(fc.name ?? ''), arguments: JSON.stringify(fc.args ?? {}) })
    }
  }
  return out
}

export function candidateFinish(j: Obj): unknown {
  const c = Array.isArray(j.candidates) && isObj(j.candidates[0]) ? j.candidates[0] : null
  if (c) return c.finishReason
  return isObj(j.promptFeedback) && j.promptFeedback.blockReason ? 'SAFETY' : undefined
}

/** A generateContent answer → IR. */
export function parseGenerateResponse(json: unknown): IrResponse {
  const j = isObj(json) ? json : {}
  let n = 0
  const parts = candidateParts(j, () => `call_${n++}`)
  return {
    id: String(j.responseId ?? ''), model: String(j.modelVersion ?? ''), parts,
    finish: finishFromGemini(candidateFinish(j), parts.some(p => p.type === 'tool_call')), usage: usageFromGemini(j.usageMetadata),
  }
}

export function toolCallPart(id: string, name: string, args: string): Obj {
  let parsed: unknown
  try { parsed = JSON.parse(args || '{}') } catch {}
  return { functionCall: { id, name, args: isObj(parsed) ? parsed : {} } }
}

/** IR → a generateContent answer. */
export function renderGenerateResponse(ir: IrResponse, req: IrRequest): Obj {
  const parts = ir.parts.map(p => (p.type === 'text' ? { text: p.text } : p.type === 'thinking' ? { text: p.text, thought: true } : toolCallPart(p.id, p.name, p.arguments)))
  const out: Obj = {
    candidates: [{ content: { role: 'model', parts }, finishReason: finishToGemini(ir.finish), index: 0 }],
    modelVersion: ir.model || req.model,
  }
  if (ir.usage) out.usageMetadata = usageToGemini(ir.usage)
  if (ir.id) out.responseId = ir.id
  return out
}
