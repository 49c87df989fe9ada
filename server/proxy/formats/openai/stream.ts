import { isObj, type IrEvent, type IrFinish, type IrRequest, type IrUsage } from '../ir'
import { parseEventData } from '../stream'
import type { StreamDecoder, StreamEncoder } from '../types'
import { chatId, finishFromChat, finishToChat, usageFromChat, usageToChat } from './response'

/** Chat Completions chunks → IR events. */
export function chatStreamDecoder(): StreamDecoder {
  let started = false
  const seen = new Set<number>()
  return {
    event(_name, data) {
      const j = parseEventData(data)
      if (!j) return []
      const out: IrEvent[] = []
      if (isObj(j.error)) return [{ type: 'error', message: String(j.error.message ?? 'upstream stream error') }]
      if (!started) { started = true; out.push({ type: 'start', id: String(j.id ?? ''), model: String(j.model ?? '') }) }
      const choice = Array.isArray(j.choices) && isObj(j.choices[0]) ? j.choices[0] : null
      const d = choice && isObj(choice.delta) ? choice.delta : null
      if (d) {
        if (typeof d.reasoning_content === 'string' && d.reasoning_content) out.push({ type: 'thinking', text: d.reasoning_content })
        if (typeof d.content === 'string' && d.content) out.push({ type: 'text', text: d.content })
        if (Array.isArray(d.tool_calls)) {
          for (const c of d.tool_calls) {
            if (!isObj(c)) continue
            const index = typeof c.index === 'number' ? c.index : 0
            const fn = isObj(c.function) ? c.function : {}
            if (!seen.has(index)) { seen.add(index); out.push({ type: 'tool_start', index, id: String(c.id ?? `call_${index}`), name: String(fn.name ?? '') }) }
            if (typeof fn.arguments === 'string' && fn.arguments) out.push({ type: 'tool_args', index, text: fn.arguments })
          }
        }
      }
      const usage = usageFromChat(j.usage)
      if (usage) out.push({ type: 'usage', usage })
      if (choice && choice.finish_reason) out.push({ type: 'finish', finish: finishFromChat(choice.finish_reason) })
      return out
    },
  }
}

/** IR events → Chat Completions chunks; usage goes out at the end when the client asked for it. */
export function chatStreamEncoder(req: IrRequest): StreamEncoder {
  let id = chatId('')
  let model = req.model
  const created = Math.floor(Date.now() / 1000)
  let usage: IrUsage | null = null
  let finish: IrFinish | null = null
  let started = false
  const chunk = (delta: object, finishReason: string | null = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`
  const head = () => {
    if (started) return ''
    started = true
    return chunk({ role: 'assistant', content: '' })
  }
  return {
    encode(e) {
      switch (e.type) {
        case 'start':
          id = chatId(e.id)
          if (e.model) model = e.model
          return head()
        case 'text': return head() + chunk({ content: e.text })
        case 'thinking': return head() + chunk({ reasoning_content: e.text })
        case 'thinking_signature': return ''
        case 'tool_start': return head() + chunk({ tool_calls: [{ index: e.index, id: e.id, type: 'function', function: { name: e.name, arguments: '' } }] })
        case 'tool_args': return head() + chunk({ tool_calls: [{ index: e.index, function: { arguments: e.text } }] })
        case 'usage': usage = e.usage; return ''
        case 'finish': finish = e.finish; return ''
        case 'error': return `data: ${JSON.stringify({ error: { message: e.message, type: 'server_error', code: 'upstream_stream_error' } })}\n\n`
      }
    },
    end() {
      let out = head()
      if (finish) out += chunk({}, finishToChat(finish))
      if (req.streamUsage && usage) out += `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageToChat(usage) })}\n\n`
      return `${out}data: [DONE]\n\n`
    },
  }
}
