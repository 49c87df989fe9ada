import { Transform, type TransformCallback } from 'node:stream'

/**
 * For OpenAI chat-completions streams where the gateway itself asked for
 * `stream_options.include_usage` (to log tokens): forwards every SSE event as soon as it is
 * complete and undoes what the request it did not make changed: it drops the extra usage chunk
 * (`"choices":[]` plus a `usage` object) and the `"usage":null` member OpenAI then adds to every
 * other chunk, so the client receives the stream it asked for. The only bytes ever held back are
 * those of an event whose end has not arrived yet; a chunk made of whole events that mention no
 * usage passes through as the same Buffer.
 */

// Searched without the opening quote (checked by findKey): a needle starting with `"` makes the
// native search several times slower over JSON.
const CHOICES = Buffer.from('choices"')
const USAGE = Buffer.from('usage"')
const LF2 = Buffer.from('\n\n')
const CRLF2 = Buffer.from('\r\n\r\n')
const NULL = Buffer.from('null')
/** Past this an unfinished event is passed on as is: it is far larger than any usage chunk. */
const MAX_PENDING = 256 * 1024

function isSpace(b: number | undefined) { return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d }

/** Index of the next `"<key>"` in `buf[from, end)` (pointing at the key after the quote), or -1. */
function findKey(buf: Buffer, key: Buffer, from: number, end: number): number {
  let at = buf.indexOf(key, from)
  while (at >= 0 && at < end) {
    if (at > 0 && buf[at - 1] === 0x22) return at
    at = buf.indexOf(key, at + 1)
  }
  return -1
}

/** Index after the `:` of the key ending at `i`, then the first non-space byte, or -1. */
function valueStart(buf: Buffer, i: number, end: number): number {
  while (i < end && isSpace(buf[i])) i++
  if (buf[i] !== 0x3a) return -1
  i++
  while (i < end && isSpace(buf[i])) i++
  return i < end ? i : -1
}

/** Whether `buf[start, end)` holds one event whose JSON has `"choices": []` and a `"usage": {…}`. */
function isUsageOnlyEvent(buf: Buffer, start: number, end: number): boolean {
  let c = findKey(buf, CHOICES, start, end)
  let empty = false
  while (c >= 0) {
    let v = valueStart(buf, c + CHOICES.length, end)
    if (v >= 0 && buf[v] === 0x5b) {
      v++
      while (v < end && isSpace(buf[v])) v++
      empty = buf[v] === 0x5d
      break
    }
    c = findKey(buf, CHOICES, c + 1, end)
  }
  if (!empty) return false
  return hasUsageObject(buf, start, end)
}

/** Whether `buf[start, end)` has a `"usage"` key whose value is an object. */
function hasUsageObject(buf: Buffer, start: number, end: number): boolean {
  for (let u = findKey(buf, USAGE, start, end); u >= 0; u = findKey(buf, USAGE, u + 1, end)) {
    const v = valueStart(buf, u + USAGE.length, end)
    if (v >= 0 && buf[v] === 0x7b) return true
  }
  return false
}

/** Nesting depth of JSON objects and arrays at `buf[at]`, scanning from `start`; -1 when `at` is inside a string. */
function depthAt(buf: Buffer, start: number, at: number): number {
  let depth = 0
  let inString = false
  for (let i = start; i < at; i++) {
    const b = buf[i]
    if (inString) {
      if (b === 0x5c) i++
      else if (b === 0x22) inString = false
    } else if (b === 0x22) inString = true
    else if (b === 0x7b || b === 0x5b) depth++
    else if (b === 0x7d || b === 0x5d) depth--
  }
  return inString ? -1 : depth
}

/**
 * The bytes of the event's top-level `"usage": null` member, with the comma that joins it to its
 * neighbour, as [from, to); null when it has none. Nested or quoted `usage` keys are left alone.
 */
function nullUsageMember(buf: Buffer, start: number, end: number): [number, number] | null {
  for (let u = findKey(buf, USAGE, start, end); u >= 0; u = findKey(buf, USAGE, u + 1, end)) {
    const v = valueStart(buf, u + USAGE.length, end)
    if (v < 0 || v + 4 > end || buf.compare(NULL, 0, 4, v, v + 4) !== 0) continue
    const open = u - 1
    // The quote before the key must open it at the top level of the chunk's object.
    if (depthAt(buf, start, open) !== 1) continue
    let from = open
    while (from > start && isSpace(buf[from - 1])) from--
    if (buf[from - 1] === 0x2c) return [from - 1, v + 4]
    let to = v + 4
    while (to < end && isSpace(buf[to])) to++
    if (buf[to] === 0x2c) {
      to++
      while (to < end && isSpace(buf[to])) to++
      return [open, to]
    }
    return [open, v + 4]
  }
  return null
}

/** End (exclusive) of the last complete event in `buf`, or 0 when there is none. */
function lastEventEnd(buf: Buffer): number {
  const lf = buf.lastIndexOf(LF2)
  if (lf >= 0 && lf + 2 === buf.length) return buf.length // the usual case: the chunk ends an event
  const crlf = buf.lastIndexOf(CRLF2)
  return Math.max(lf < 0 ? 0 : lf + 2, crlf < 0 ? 0 : crlf + 4)
}

/** End (exclusive) of the first event starting at `from`, or `limit` when it runs to the end. */
function nextEventEnd(buf: Buffer, from: number, limit: number): number {
  const lf = buf.indexOf(LF2, from)
  const crlf = buf.indexOf(CRLF2, from)
  const a = lf < 0 || lf >= limit ? Infinity : lf + 2
  const b = crlf < 0 || crlf >= limit ? Infinity : crlf + 4
  const end = Math.min(a, b)
  return end === Infinity ? limit : end
}

export function createInjectedUsageStripper(): Transform {
  let pending: Buffer | null = null
  let done = false

  /**
   * Pushes `buf[0, end)` minus the usage-only event (there is at most one per stream) and minus
   * each other event's `"usage": null`.
   */
  function forward(stream: Transform, buf: Buffer, end: number) {
    if (findKey(buf, USAGE, 0, end) < 0) {
      stream.push(end === buf.length ? buf : buf.subarray(0, end))
      return
    }
    let start = 0
    let runStart = 0
    while (start < end) {
      const evEnd = nextEventEnd(buf, start, end)
      if (!done && isUsageOnlyEvent(buf, start, evEnd)) {
        if (start > runStart) stream.push(buf.subarray(runStart, start))
        runStart = evEnd
        done = true
      } else {
        const member = nullUsageMember(buf, start, evEnd)
        if (member) {
          stream.push(buf.subarray(runStart, member[0]))
          runStart = member[1]
        }
      }
      start = evEnd
    }
    if (end > runStart) stream.push(buf.subarray(runStart, end))
  }

  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk
      pending = null
      const end = lastEventEnd(buf)
      if (end > 0) forward(this, buf, end)
      if (end < buf.length) {
        if (buf.length - end > MAX_PENDING) this.push(buf.subarray(end))
        // Copied: the producer may reuse the chunk's memory after this callback.
        else pending = Buffer.from(buf.subarray(end))
      }
      cb()
    },
    flush(cb: TransformCallback) {
      if (pending) forward(this, pending, pending.length)
      pending = null
      cb()
    },
  })
}
