import { isObj, type IrEvent, type IrFinish, type IrRequest, type IrUsage, type Obj } from '../ir'
import { parseEventData, sse } from '../stream'
import type { StreamDecoder, StreamEncoder } from '../types'
import { finishFromResponse, functionItem, messageItem, reasoningItem, responseId, responseObject, usageFromResponses } from './response'

/** Responses API events → IR events. */
export function responsesStreamDecoder(): StreamDecoder {
  /** output_index → tool index */
  const tools = new Map<number, number>()
  return {
    event(_name, data) {
      const j = parseEventData(data)
      if (!j) return []
      switch (j.type) {
        case 'response.created': {
          const r = isObj(j.response) ? j.response : {}
          return [{ type: 'start', id: String(r.id ?? ''), model: String(r.model ?? '') }]
        }
        case 'response.output_text.delta': return typeof j.delta === 'string' && j.delta ? [{ type: 'text', text: j.delta }] : []
        case 'response.reasoning_summary_text.delta': return typeof j.delta === 'string' && j.delta ? [{ type: 'thinking', text: j.delta }] : []
        case 'response.output_item.added': {
          const item = isObj(j.item) ? j.item : {}
          if (item.type !== 'function_call') return []
          const index = tools.size
          tools.set(Number(j.output_index), index)
          const out: IrEvent[] = [{ type: 'tool_start', index, id: String(item.call_id ?? ''), name: String(item.name ?? '') }]
          if (typeof item.arguments === 'string' && item.arguments) out.push({ type: 'tool_args', index, text: item.arguments })
          return out
        }
        case 'response.function_call_arguments.delta': {
          const index = tools.get(Number(j.output_index))
          return index !== undefined && typeof j.delta === 'string' && j.delta ? [{ type: 'tool_args', index, text: j.delta }] : []
        }
        case 'response.completed':
        case 'response.incomplete':
        case 'response.failed': {
          const r = isObj(j.response) ? j.response : {}
          const out: IrEvent[] = []
          const usage = usageFromResponses(r.usage)
          if (usage) out.push({ type: 'usage', usage })
          if (j.type === 'response.failed') {
            const e = isObj(r.error) ? r.error : {}
            out.push({ type: 'error', message: String(e.message ?? 'the upstream response failed') })
          } else {
            out.push({ type: 'finish', finish: finishFromResponse(r, tools.size > 0) })
          }
          return out
        }
        case 'error': return [{ type: 'error', message: String(j.message ?? 'upstream stream error') }]
        default: return []
      }
    },
  }
}

type Open = { kind: 'text' | 'thinking'; outputIndex: number; id: string; text: string } | { kind: 'tool'; outputIndex: number; id: string; callId: string; name: string; args: string }

/**
 * IR events → Responses API events. Each item's done events repeat its whole text, as the API's
 * do, so the open item's text is kept until it closes; the last event carries the whole response.
 */
export function responsesStreamEncoder(req: IrRequest): StreamEncoder {
  let seq = 0
  let id = responseId('')
  let model = req.model
  const createdAt = Math.floor(Date.now() / 1000)
  const output: Obj[] = []
  let open: Open | null = null
  let started = false
  let usage: IrUsage | null = null
  let finish: IrFinish | null = null
  let failed = false
  const ev = (type: string, data: Obj) => sse({ type, sequence_number: seq++, ...data }, type)

  const head = () => {
    if (started) return ''
    started = true
    const r = { ...responseObject(id, model, [], 'stop', null, req, createdAt), status: 'in_progress' }
    return ev('response.created', { response: r }) + ev('response.in_progress', { response: r })
  }
  const close = () => {
    const o = open
    if (!o) return ''
    open = null
    const oi = o.outputIndex
    if (o.kind === 'tool') {
      const item = functionItem(o.id, o.callId, o.name, o.args)
      output.push(item)
      return ev('response.function_call_arguments.done', { item_id: o.id, output_index: oi, arguments: o.args }) + ev('response.output_item.done', { output_index: oi, item })
    }
    if (o.kind === 'thinking') {
      const item = reasoningItem(o.id, o.text)
      output.push(item)
      return ev('response.reasoning_summary_text.done', { item_id: o.id, output_index: oi, summary_index: 0, text: o.text })
        + ev('response.reasoning_summary_part.done', { item_id: o.id, output_index: oi, summary_index: 0, part: { type: 'summary_text', text: o.text } })
        + ev('response.output_item.done', { output_index: oi, item })
    }
    const item = messageItem(o.id, o.text)
    output.push(item)
    const part = { type: 'output_text', text: o.text, annotations: [], logprobs: [] }
    return ev('response.output_text.done', { item_id: o.id, output_index: oi, content_index: 0, text: o.text, logprobs: [] })
      + ev('response.content_part.done', { item_id: o.id, output_index: oi, content_index: 0, part })
      + ev('response.output_item.done', { output_index: oi, item })
  }
  const ensure = (kind: 'text' | 'thinking') => {
    if (open?.kind === kind) return ''
    const out = close()
    const oi = output.length
    if (kind === 'text') {
      const o = open = { kind, outputIndex: oi, id: `msg_${id}_${oi}`, text: '' }
      return out + ev('response.output_item.added', { output_index: oi, item: messageItem(o.id, '', 'in_progress') })
        + ev('response.content_part.added', { item_id: o.id, output_index: oi, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } })
    }
    const o = open = { kind, outputIndex: oi, id: `rs_${id}_${oi}`, text: '' }
    return out + ev('response.output_item.added', { output_index: oi, item: { type: 'reasoning', id: o.id, summary: [] } })
      + ev('response.reasoning_summary_part.added', { item_id: o.id, output_index: oi, summary_index: 0, part: { type: 'summary_text', text: '' } })
  }
  /** The open item (a function, so the compiler does not narrow it across the calls that set it). */
  const current = () => open
  const grow = (o: { text: string }, t: string) => {
    if (o.text.length + t.length > 64 << 20) throw new Error('a streamed answer item is larger than 64 MiB')
    o.text += t
  }

  return {
    encode(e: IrEvent) {
      switch (e.type) {
        case 'start':
          if (e.id) id = responseId(e.id)
          if (e.model) model = e.model
          return head()
        case 'text': {
          const out = head() + ensure('text')
          const o = current() as Exclude<Open, { kind: 'tool' }>
          grow(o, e.text)
          return out + ev('response.output_text.delta', { item_id: o.id, output_index: o.outputIndex, content_index: 0, delta: e.text, logprobs: [] })
        }
        case 'thinking': {
          const out = head() + ensure('thinking')
          const o = current() as Exclude<Open, { kind: 'tool' }>
          grow(o, e.text)
          return out + ev('response.reasoning_summary_text.delta', { item_id: o.id, output_index: o.outputIndex, summary_index: 0, delta: e.text })
        }
        case 'thinking_signature': return ''
        case 'tool_start': {
          const out = head() + close()
          const oi = output.length
          const o = open = { kind: 'tool', outputIndex: oi, id: `fc_${id}_${oi}`, callId: e.id, name: e.name, args: '' }
          return out + ev('response.output_item.added', { output_index: oi, item: functionItem(o.id, o.callId, o.name, '', 'in_progress') })
        }
        case 'tool_args': {
          if (open?.kind !== 'tool') return ''
          if (open.args.length + e.text.length > 8 << 20) throw new Error('a streamed tool call is larger than 8 MiB')
          open.args += e.text
          return ev('response.function_call_arguments.delta', { item_id: open.id, output_index: open.outputIndex, delta: e.text })
        }
        case 'usage': usage = e.usage; return ''
        case 'finish': finish = e.finish; return ''
        case 'error': {
          failed = true
          const r = { ...responseObject(id, model, output, 'error', usage, req, createdAt), status: 'failed', error: { code: 'server_error', message: e.message } }
          return head() + close() + ev('response.failed', { response: r })
        }
      }
    },
    end() {
      if (failed) return ''
      const out = head() + close()
      const r = responseObject(id, model, output, finish ?? 'stop', usage, req, createdAt)
      return out + ev(r.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: r })
    },
  }
}
