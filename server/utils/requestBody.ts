import type { H3Event } from 'h3'
import { MAX_KEYS_TEXT } from '../../shared/schemas/keys'
import { MAX_UPLOAD_BYTES } from './upload'

/** Largest JSON body of an ordinary management API call. */
export const JSON_BODY_LIMIT = 1024 * 1024
/** Largest login body: the only body anyone can send without credentials. */
export const LOGIN_BODY_LIMIT = 4 * 1024
/** Key text sent as a JSON string or array, or as text/plain: the key text cap plus room for JSON quoting. */
export const KEYS_BODY_LIMIT = MAX_KEYS_TEXT + MAX_KEYS_TEXT / 8
/** A multipart key upload is streamed to disk; its file part has its own cap (Busboy's). */
const MULTIPART_BODY_LIMIT = MAX_UPLOAD_BYTES + 1024 * 1024

declare module 'h3' {
  interface H3EventContext {
    /** Largest body this request may send, set by server/middleware/05.apiBody.ts. */
    bodyLimit?: number
  }
}

type MediaType = 'application/json' | 'text/plain' | 'multipart/form-data'
export type BodyPolicy = Partial<Record<MediaType, number>>

const KEY_IMPORT = /^\/api\/groups\/[^/]+\/keys\/?$/
const KEY_ACTIONS = /^\/api\/groups\/[^/]+\/keys\/actions\/?$/

/** Which body types a state-changing /api route takes, and how large each may be. */
export function bodyPolicy(method: string, path: string): BodyPolicy {
  if (path === '/api/auth/login') return { 'application/json': LOGIN_BODY_LIMIT }
  if (method === 'POST' && KEY_IMPORT.test(path))
    return { 'application/json': KEYS_BODY_LIMIT, 'text/plain': MAX_KEYS_TEXT, 'multipart/form-data': MULTIPART_BODY_LIMIT }
  if (method === 'POST' && KEY_ACTIONS.test(path)) return { 'application/json': KEYS_BODY_LIMIT }
  return { 'application/json': JSON_BODY_LIMIT }
}

/** `application/json; charset=utf-8` → `application/json`. */
export const mediaTypeOf = (contentType: string | undefined) => (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase()

/** Whether the request carries a body (a length above 0, or a transfer coding). */
export function requestHasBody(event: H3Event) {
  const h = event.node.req.headers
  return Number(h['content-length'] ?? 0) > 0 || h['transfer-encoding'] !== undefined
}

const megabytes = (n: number) => (n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MB` : `${Math.round(n / 1024)} KB`)

/** How long the rest of a refused body is read and dropped, at most, before the connection is cut. */
const DRAIN_MS = 5_000

/**
 * The contract's 413. What the client is still sending is read and dropped (never held) for a
 * few seconds so it gets to read the answer: closing at once would reset the connection under a
 * client still writing, and it would see a broken pipe instead of the 413. A client that keeps
 * sending past that is cut off.
 */
export function tooLarge(event: H3Event, limit: number) {
  const { req, res } = event.node
  res.once('finish', () => {
    if (req.complete) return
    const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS)
    timer.unref()
    req.once('end', () => clearTimeout(timer)).once('close', () => clearTimeout(timer))
    req.resume()
  })
  return createError({ statusCode: 413, message: `body: larger than ${megabytes(limit)}`, data: { code: 'TOO_LARGE' } })
}

/**
 * The request body, refused with 413 as soon as it passes `limit`: by Content-Length before
 * reading, and by counting while it streams (chunked or lying clients). Never more than `limit`
 * bytes are held.
 */
export async function readBoundedBody(event: H3Event, limit = event.context.bodyLimit ?? JSON_BODY_LIMIT): Promise<Buffer | undefined> {
  if (!requestHasBody(event)) return undefined
  if (Number(event.node.req.headers['content-length'] ?? 0) > limit) throw tooLarge(event, limit)
  const req = event.node.req
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = () => { req.off('data', onData); req.off('end', onEnd); req.off('error', onError) }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        done()
        chunks.length = 0
        reject(tooLarge(event, limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => { done(); resolve(Buffer.concat(chunks, size)) }
    const onError = (err: Error) => { done(); reject(err) }
    req.on('data', onData).on('end', onEnd).on('error', onError)
  })
}
