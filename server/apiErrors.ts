import type { H3Error, H3Event } from 'h3'

const CODES: Record<number, string> = { 400: 'VALIDATION', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 409: 'CONFLICT', 413: 'TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED', 503: 'NOT_READY' }

/**
 * Nitro error handler for `/api`: the contract's body `{statusCode, message, data:{code,…}}` and
 * nothing else (Nitro's default adds `error`, `url` and a generic `statusMessage`). Unexpected
 * errors are logged and answered with a generic 500 so no internals (or secrets) leak. Other
 * paths fall through to Nuxt's handler.
 */
export default async function apiErrorHandler(error: H3Error, event: H3Event) {
  if (!event.path.startsWith('/api/') && event.path !== '/api') return
  const statusCode = error.statusCode || 500
  const unexpected = statusCode >= 500 && (error.unhandled || error.fatal)
  if (unexpected) {
    const log = event.context.keygate?.log
    if (log) log.error({ err: error.cause ?? error, path: event.path.split('?', 1)[0] }, 'management API request failed')
    else console.error(error)
  }
  const data = unexpected ? { code: 'INTERNAL' } : { code: CODES[statusCode] ?? 'ERROR', ...(error.data as object | undefined) }
  const body = { statusCode, message: unexpected ? 'Internal error' : error.message, data }
  setResponseStatus(event, statusCode, error.statusMessage && !unexpected ? error.statusMessage : undefined)
  setResponseHeader(event, 'content-type', 'application/json')
  setResponseHeader(event, 'cache-control', 'no-store')
  return send(event, JSON.stringify(body))
}
