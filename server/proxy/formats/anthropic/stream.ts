import { EMPTY_USAGE, isObj, type IrEvent, type IrFinish, type IrRequest, type IrUsage } from '../ir'
import { parseEventData, sse } from '../stream'
import type { StreamDecoder, StreamEncoder } from '../types'
import { finishFromMessages, finishToMessages, messageId, usageFromMessages, usageToMessages } from './response'

/** Messages API events → IR events. Usage comes in message_start and message_delta; later parts win. */
export function messagesStreamDecoder(): StreamDecoder {
  /** Content block index → tool call index. */
  const tools = new Map<number, number>()
  let usage: Record<string, unknown> = {}
  return {
    event(_name, data) {
      const j = parseEventData(data)
      if (!j) return []
      switch (j.type) {
        case 'message_start': {
          const m = isObj(j.message) ? j.message : {}
          if (isObj(m.usage)) usage = { ...m.usage }
          return [{ type: 'start', id: String(m.id ?? ''), model: String(m.model ?? '') }]
        }
        case 'content_block_start': {
          const b = isObj(j.content_block) ? j.content_block : {}
          if (b.type !== 'tool_use') return []
          const index = tools.size
          tools.set(Number(j.index), index)
          return [{ type: 'tool_start', index, id: String(b.id ?? ''), name: String(b.name ?? '') }]
        }
        case 'content_block_delta': {
          const d = isObj(j.delta) ? j.delta : {}
          if (d.type === 'text_delta' && typeof d.text === 'string') return [{ type: 'text', text: d.text }]
          if (d.type === 'thinking_delta' && typeof d.thinking === 'string') return [{ type: 'thinking', text: d.thinking }]
          if (d.type === 'signature_delta' && typeof d.signature === 'string') return [{ type: 'thinking_signature', signature: d.signature }]
          const index = tools.get(Number(j.index))
          if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && index !== undefined && d.partial_json) return [{ type: 'tool_args', index, text: d.partial_json }]
          return []
        }
        case 'message_delta': {
          const out: IrEvent[] = []
          if (isObj(j.usage)) {
            for (const k in j.usage) if (j.usage[k] !== null && j.usage[k] !== undefined) usage[k] = j.usage[k]
            out.push({ type: 'usage', usage: usageFromMessages(usage) })
          }
          const d = isObj(j.delta) ? j.delta : {}
          if (d.stop_reason) out.push({ type: 'finish', finish: finishFromMessages(d.stop_reason) })
          return out
        }
        case 'error': {
          const e = isObj(j.error) ? j.error : {}
          return [{ type: 'error', message: String(e.message ?? 'upstream stream error') }]
        }
        default: return []
      }
    },
  }
}

type Block = { kind: 'text' | 'thinking' | 'tool'; index: number; tool?: number }

/**
 * IR events → Messages API events. A block opens when its kind of content starts and closes when
 * another starts; message_delta (stop reason, usage) goes out at the end, once both are known.
 */
export function messagesStreamEncoder(req: IrRequest): StreamEncoder {
  let started = false
  let id = messageId('')
  let model = req.model
  let open: Block | null = null
  let next = 0
  const toolBlocks = new Map<number, number>()
  let usage: IrUsage | null = null
  let finish: IrFinish | null = null
  let error = false

  const head = () => {
    if (started) return ''
    started = true
    return sse({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usageToMessages(EMPTY_USAGE) } }, 'message_start')
  }
  const close = () => {
    if (!open) return ''
    const i = open.index
    open = null
    return sse({ type: 'content_block_stop', index: i }, 'content_block_stop')
  }
  const ensure = (kind: 'text' | 'thinking') => {
    if (open?.kind === kind) return ''
    const out = close()
    open = { kind, index: next++ }
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' }
    return out + sse({ type: 'content_block_start', index: open.index, content_block: block }, 'content_block_start')
  }
  const delta = (index: number, d: object) => sse({ type: 'content_block_delta', index, delta: d }, 'content_block_delta')

  return {
    encode(e: IrEvent) {
      switch (e.type) {
        case 'start':
          if (e.id) id = messageId(e.id)
          if (e.model) model = e.model
          return head()
        case 'text': return head() + ensure('text') + delta(open!.index, { type: 'text_delta', text: e.text })
        case 'thinking': return head() + ensure('thinking') + delta(open!.index, { type: 'thinking_delta', thinking: e.text })
        case 'thinking_signature': return open?.kind === 'thinking' ? delta(open.index, { type: 'signature_delta', signature: e.signature }) : ''
        case 'tool_start': {
          const out = head() + close()
          open = { kind: 'tool', index: next++, tool: e.index }
          toolBlocks.set(e.index, open.index)
          return out + sse({ type: 'content_block_start', index: open.index, content_block: { type: 'tool_use', id: e.id, name: e.name, input: {} } }, 'content_block_start')
        }
        case 'tool_args': {
          const index = toolBlocks.get(e.index)
          return index === undefined ? '' : delta(index, { type: 'input_json_delta', partial_json: e.text })
        }
        case 'usage': usage = e.usage; return ''
        case 'finish': finish = e.finish; return ''
        case 'error':
          error = true
          return head() + close() + sse({ type: 'error', error: { type: 'api_error', message: e.message } }, 'error')
      }
    },
    end() {
      if (error) return ''
      const u = usage ?? EMPTY_USAGE
      return head() + close()
        + sse({ type: 'message_delta', delta: { stop_reason: finishToMessages(finish ?? 'stop'), stop_sequence: null }, usage: usageToMessages(u) }, 'message_delta')
        + sse({ type: 'message_stop' }, 'message_stop')
    },
  }
}
