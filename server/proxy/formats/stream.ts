import { StringDecoder } from 'node:string_decoder'
import { Transform, type TransformCallback } from 'node:stream'
import type { IrRequest, IrResponse } from './ir'
import type { StreamDecoder, StreamEncoder } from './types'

/** An SSE event larger than this is a broken or hostile upstream, not an answer. */
const MAX_EVENT = 8 << 20
/** A plain (non-streamed) answer is converted whole: this is as much of it as we hold. */
const MAX_BODY = 32 << 20

/**
 * Incremental server-sent-events parser (WHATWG rules for `event:` and `data:` lines; comments
 * and ids ignored). It holds at most the one event still arriving.
 */
export class SseParser {
  private buf = ''
  private name = ''
  private data: string[] = []

  constructor(private readonly onEvent: (name: string, data: string) => void) {}

  push(text: string) {
    this.buf += text
    if (this.buf.length > MAX_EVENT) throw new Error('an upstream stream event is larger than 8 MiB')
    let start = 0
    for (;;) {
      const nl = this.buf.indexOf('\n', start)
      if (nl < 0) break
      let line = this.buf.slice(start, nl)
      start = nl + 1
      if (line.endsWith('\r')) line = line.slice(0, -1)
      this.line(line)
    }
    this.buf = this.buf.slice(start)
  }

  end() {
    if (this.buf) { this.line(this.buf); this.buf = '' }
    this.line('')
  }

  private line(line: string) {
    if (line === '') {
      if (this.data.length) this.onEvent(this.name, this.data.join('\n'))
      this.name = ''
      this.data = []
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') this.data.push(value)
    else if (field === 'event') this.name = value
  }
}

/**
 * A provider's stream → the client's stream, converted event by event as it arrives: each
 * upstream event is decoded to IR events and written at once in the client's API.
 */
export function streamConverter(decoder: StreamDecoder, encoder: StreamEncoder): Transform {
  const text = new StringDecoder('utf8')
  let out = ''
  const parser = new SseParser((name, data) => {
    for (const e of decoder.event(name, data)) out += encoder.encode(e)
  })
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        parser.push(text.write(chunk))
      } catch (err) { cb(err as Error); return }
      const o = out
      out = ''
      cb(null, o || undefined)
    },
    flush(cb: TransformCallback) {
      try {
        parser.push(text.end())
        parser.end()
        out += encoder.end()
      } catch (err) { cb(err as Error); return }
      cb(null, out || undefined)
    },
  })
}

/** A provider's plain JSON answer → the client's, converted once it is whole. */
export function bodyConverter(
  parse: (json: unknown) => IrResponse, render: (ir: IrResponse, req: IrRequest) => unknown, req: IrRequest,
): Transform {
  const parts: Buffer[] = []
  let size = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      size += chunk.length
      if (size > MAX_BODY) { cb(new Error('the upstream answer is larger than 32 MiB')); return }
      parts.push(chunk)
      cb()
    },
    flush(cb: TransformCallback) {
      let json: unknown
      try { json = JSON.parse(Buffer.concat(parts).toString('utf8')) } catch { cb(new Error('the upstream answer is not JSON')); return }
      try { cb(null, JSON.stringify(render(parse(json), req))) } catch (err) { cb(err as Error) }
    },
  })
}

export const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`

/** JSON text of a stream event, or null when it is not JSON (keep-alives, `[DONE]`). */
export function parseEventData(data: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(data)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : null
  } catch { return null }
}
