import type { ServerResponse } from 'node:http'
import type { ApiFlavour } from './channels'

const OPENAI_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'invalid_request_error', 403: 'permission_error', 404: 'invalid_request_error', 413: 'invalid_request_error', 429: 'rate_limit_exceeded', 499: 'client_closed_request' }
const ANTHROPIC_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error', 529: 'overloaded_error' }
const GEMINI_STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 413: 'INVALID_ARGUMENT', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' }

/** Our own error, in the body shape the caller's SDK parses (CONTRACT §2 "Errors"). */
export function errorPayload(flavour: ApiFlavour, status: number, message: string, code?: string): unknown {
  if (flavour === 'anthropic') return { type: 'error', error: { type: ANTHROPIC_TYPES[status] ?? 'api_error', message } }
  if (flavour === 'gemini') return { error: { code: status, message, status: GEMINI_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } }
  return { error: { message, type: OPENAI_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), code: code ?? null } }
}

export class ProxyError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string, readonly retryAfterSeconds?: number) { super(message) }
}

/** Sends a ProxyError (or any status + message) unless the response has already started. */
export function sendError(res: ServerResponse, flavour: ApiFlavour, err: ProxyError, extraHeaders?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) { if (!res.writableEnded) res.end(); return }
  const body = JSON.stringify(errorPayload(flavour, err.status, err.message, err.code))
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extraHeaders }
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)))
  res.writeHead(err.status, headers)
  res.end(body)
}

/** The last event of a stream whose upstream died mid-way, in the caller's SSE dialect. */
export function streamErrorEvent(flavour: ApiFlavour, message: string): string {
  if (flavour === 'anthropic') return `event: error\ndata: ${JSON.stringify(errorPayload('anthropic', 502, message))}\n\n`
  if (flavour === 'gemini') return `data: ${JSON.stringify(errorPayload('gemini', 502, message))}\n\n`
  return `data: ${JSON.stringify({ error: { message, type: 'server_error', code: 'upstream_stream_error' } })}\n\n`
}
