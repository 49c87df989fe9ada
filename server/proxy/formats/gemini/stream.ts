import { isObj, type IrEvent, type IrFinish, type IrRequest, type IrUsage, type Obj } from '../ir'
import { parseEventData } from '../stream'
import type { StreamDecoder, StreamEncoder } from '../types'
import { candidateFinish, candidateParts, finishFromGemini, finishToGemini, toolCallPart, usageFromGemini, usageToGemini } from './response'

/** streamGenerateContent (alt=sse) chunks → IR events. Each chunk carries whole function calls. */
export function generateStreamDecoder(): StreamDecoder {
  let started = false
  let tools = 0
  let ids = 0
  return {
    event(_name, data) {
      const j = parseEventData(data)
      if (!j) return []
      if (isObj(j.error)) return [{ type: 'error', message: String(j.error.message ?? 'upstream stream error') }]
      const out: IrEvent[] = []
      if (!started) { started = true; out.push({ type: 'start', id: String(j.responseId ?? ''), model: String(j.modelVersion ?? '') }) }
      for (const p of candidateParts(j, () => `call_${ids++}`)) {
        if (p.type === 'text') out.push({ type: 'text', text: p.text })
        else if (p.type === 'thinking') {
          if (p.text) out.push({ type: 'thinking', text: p.text })
          if (p.signature) out.push({ type: 'thinking_signature', signature: p.signature })
        } else {
          const index = tools++
          out.push({ type: 'tool_start', index, id: p.id, name: p.name }, { type: 'tool_args', index, text: p.arguments })
        }
      }
      const usage = usageFromGemini(j.usageMetadata)
      if (usage) out.push({ type: 'usage', usage })
      const finish = candidateFinish(j)
      if (finish) out.push({ type: 'finish', finish: finishFromGemini(finish, tools > 0) })
      return out
    },
  }
}

/**
 * IR events → streamGenerateContent chunks. Gemini sends a function call whole, so a call's
 * argument text is held until the call is complete (the next call, or the end).
 */
export function generateStreamEncoder(req: IrRequest): StreamEncoder {
  let model = req.model
  let id = ''
  let usage: IrUsage | null = null
  let finish: IrFinish | null = null
  let pending: { id: string; name: string; args: string } | null = null
  const chunk = (parts: Obj[], last: boolean) => {
    const c: Obj = { content: { role: 'model', parts }, index: 0 }
    if (last) c.finishReason = finishToGemini(finish ?? 'stop')
    const out: Obj = { candidates: [c], modelVersion: model }
    if (usage && last) out.usageMetadata = usageToGemini(usage)
    if (id) out.responseId = id
    return `data: ${JSON.stringify(out)}\n\n`
  }
  const flushTool = (): Obj[] => {
    if (!pending) return []
    const p = toolCallPart(pending.id, pending.name, pending.args)
    pending = null
    return [p]
  }
  const withTool = (parts: Obj[]) => {
    const all = [...flushTool(), ...parts]
    return all.length ? chunk(all, false) : ''
  }
  return {
    encode(e: IrEvent) {
      switch (e.type) {
        case 'start':
          if (e.model) model = e.model
          id = e.id
          return ''
        case 'text': return withTool([{ text: e.text }])
        case 'thinking': return withTool([{ text: e.text, thought: true }])
        case 'thinking_signature': return ''
        case 'tool_start': {
          const out = withTool([])
          pending = { id: e.id, name: e.name, args: '' }
          return out
        }
        case 'tool_args':
          if (pending && pending.args.length + e.text.length > 8 << 20) throw new Error('a streamed tool call is larger than 8 MiB')
          if (pending) pending.args += e.text
          return ''
        case 'usage': usage = e.usage; return ''
        case 'finish': finish = e.finish; return ''
        case 'error': return `data: ${JSON.stringify({ error: { code: 502, message: e.message, status: 'UNAVAILABLE' } })}\n\n`
      }
    },
    end() { return chunk(flushTool(), true) },
  }
}
