import type { ServerResponse } from 'node:http'
import type { Dialect } from './channels'

export class ProxyError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string, readonly retryAfterSeconds?: number) { super(message) }
}

/**
 * Sends a ProxyError in the caller's error shape (CONTRACT §2 "Errors") unless the response has
 * already started.
 */
export function sendError(res: ServerResponse, dialect: Dialect, err: ProxyError, extraHeaders?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) { if (!res.writableEnded) res.end(); return }
  const body = JSON.stringify(dialect.errorBody(err.status, err.message, err.code))
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extraHeaders }
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)))
  res.writeHead(err.status, headers)
  res.end(body)
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
