import type { IncomingMessage } from 'node:http'
import type { JsonBody } from './channels'
import { ProxyError } from './errors'

const EMPTY = Buffer.alloc(0)

/**
 * Reads the request body once (it is resent on every retry). Past `limit` bytes: 413, decided
 * from Content-Length up front when the client sent one, else while reading.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > limit) return Promise.reject(tooLarge(limit))
  if (declared === 0 || req.method === 'GET' || req.method === 'HEAD') return Promise.resolve(EMPTY)
  // Plain events rather than an async iterator: this runs on every request.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) { cleanup(); req.resume(); reject(tooLarge(limit)); return }
      chunks.push(chunk)
    }
    const onEnd = () => { cleanup(); resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)) }
    const onError = (err: Error) => { cleanup(); reject(err) }
    const onAborted = () => { cleanup(); reject(new Error('the client closed the request while sending it')) }
    const cleanup = () => { req.off('data', onData); req.off('end', onEnd); req.off('error', onError); req.off('close', onClose) }
    const onClose = () => { if (!req.complete) onAborted() }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

function tooLarge(limit: number) {
  return new ProxyError(413, `request body is larger than the ${Math.round(limit / 1048576)} MB limit`, 'request_too_large')
}

/** The body as a JSON object when it is one; anything else is forwarded untouched. */
export function parseJsonBody(body: Buffer, contentType: string | undefined): JsonBody | null {
  if (!body.length) return null
  if (contentType && !contentType.includes('json')) return null
  if (body[0] !== 0x7b /* { */) return null
  try {
    const v = JSON.parse(body.toString('utf8'))
    return v && typeof v === 'object' && !Array.isArray(v) ? v as JsonBody : null
  } catch { return null }
}
