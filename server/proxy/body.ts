import type { IncomingMessage } from 'node:http'
import type { JsonBody } from './channels'
import { ProxyError } from './errors'

const EMPTY = Buffer.alloc(0)

/** What one request may hold while its body arrives: how much, for how long, and the shared budget. */
export type BodyLimits = { maxBytes: number; timeoutMs: number; budget: BodyBudget }

/** The bytes one request holds in the budget; returned by `BodyBudget.release` when the request ends. */
export type BodyLease = { held: number }

/**
 * Bytes of request bodies held in memory by the requests in flight on this instance
 * (MAX_BUFFERED_BODY_MB): a body is kept until its request ends, as every retry resends it.
 */
export class BodyBudget {
  private used = 0
  constructor(private readonly limit: number) {}

  get bytes(): number { return this.used }

  /** Adds `n` bytes to `lease`; false (and nothing taken) when that would pass the limit. */
  take(lease: BodyLease, n: number): boolean {
    if (this.used + n > this.limit) return false
    this.used += n
    lease.held += n
    return true
  }

  release(lease: BodyLease): void {
    this.used -= lease.held
    lease.held = 0
  }
}

/**
 * Reads the request body once (it is resent on every retry). Past `maxBytes`: 413; past the
 * buffered-bytes budget: 503 (both decided from Content-Length up front when the client sent
 * one, else while reading); not all there within `timeoutMs`: 408, so a slow sender cannot hold
 * a slot and its memory indefinitely.
 */
export function readRequestBody(req: IncomingMessage, limits: BodyLimits, lease: BodyLease): Promise<Buffer> {
  const { maxBytes, budget } = limits
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes))
  if (declared === 0 || req.method === 'GET' || req.method === 'HEAD') return Promise.resolve(EMPTY)
  if (declared > 0 && !budget.take(lease, declared)) return Promise.reject(busy())
  // Plain events rather than an async iterator: this runs on every request.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const fail = (err: Error) => { cleanup(); reject(err) }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) return fail(tooLarge(maxBytes))
      if (size > lease.held && !budget.take(lease, size - lease.held)) return fail(busy())
      chunks.push(chunk)
    }
    const onEnd = () => { cleanup(); resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)) }
    const onClose = () => { if (!req.complete) fail(new Error('the client closed the request while sending it')) }
    const timer = setTimeout(() => fail(new ProxyError(408, `the request body did not arrive within ${limits.timeoutMs / 1000} s`, 'request_timeout')), limits.timeoutMs)
    const cleanup = () => {
      clearTimeout(timer)
      req.off('data', onData); req.off('end', onEnd); req.off('error', fail); req.off('close', onClose)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', fail)
    req.on('close', onClose)
  })
}

function tooLarge(limit: number) {
  return new ProxyError(413, `request body is larger than the ${Math.round(limit / 1048576)} MB limit`, 'request_too_large')
}

const busy = () => new ProxyError(503, 'the gateway is holding as many request bodies as it may; retry shortly', 'server_busy', 1)

const BOM = [0xef, 0xbb, 0xbf] as const

/** Index of the first byte past a UTF-8 BOM and JSON whitespace. */
function firstSignificantByte(body: Buffer): number {
  let i = body.length >= 3 && body[0] === BOM[0] && body[1] === BOM[1] && body[2] === BOM[2] ? 3 : 0
  while (i < body.length) {
    const b = body[i]!
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break
    i++
  }
  return i
}

/**
 * Whether a JSON text may name `model` twice: only when `"model"` occurs twice as written, or one
 * of its letters is spelt as an escape (`\u0064`…`\u006f`; escaped non-ASCII text never matches).
 * JSON.parse keeps the last of duplicate keys and an upstream parser may keep the first, so such a
 * body is re-serialised (see parseRequestBody).
 */
function mayRepeatModel(body: Buffer): boolean {
  const first = body.indexOf(MODEL_KEY)
  return (first >= 0 && body.indexOf(MODEL_KEY, first + 1) >= 0) || body.includes(ESCAPED_MODEL_LETTER)
}
const MODEL_KEY = Buffer.from('"model"')
const ESCAPED_MODEL_LETTER = Buffer.from('\\u006')

export type ParsedBody = {
  json: JsonBody | null
  /** The bytes to forward: the client's, or the parsed body re-serialised when the upstream might read it differently. */
  forward: Buffer
}

const notJson = (why: string) => new ProxyError(400, `the request body must be a JSON object: ${why}`, 'invalid_json')

/**
 * The body as a JSON object, parsed whatever the content type claims when its first byte past
 * whitespace and a UTF-8 BOM is `{`, so a model cannot hide behind `text/plain`, a missing
 * content type or leading spaces. On a JSON endpoint (`jsonEndpoint`) anything but a JSON object
 * is refused with 400; elsewhere such a body is forwarded untouched with no model read from it.
 * What is forwarded is what was checked: a body that may repeat `model` (or starts with a BOM)
 * goes out as the parsed object re-serialised, so the upstream sees exactly the checked value.
 */
export function parseRequestBody(body: Buffer, jsonEndpoint: boolean): ParsedBody {
  const start = firstSignificantByte(body)
  if (start >= body.length) {
    if (jsonEndpoint) throw notJson('it is empty')
    return { json: null, forward: body }
  }
  if (body[start] !== 0x7b /* { */) {
    if (jsonEndpoint) throw notJson('it does not start with "{"')
    return { json: null, forward: body }
  }
  const hasBom = body[0] === BOM[0]
  let json: JsonBody
  try {
    json = JSON.parse(body.toString('utf8', hasBom ? 3 : 0)) as JsonBody
  } catch {
    if (jsonEndpoint) throw notJson('it is not valid JSON')
    return { json: null, forward: body }
  }
  const forward = hasBom || mayRepeatModel(body) ? Buffer.from(JSON.stringify(json)) : body
  return { json, forward }
}
